// Minimal edits of a person's manifest file, keeping its comments, formatting and other documents: set or
// remove one annotation, or replace a Service's spec. Text in, text out.
import { parseAllDocuments, isMap, type Document } from 'yaml';

export class ManifestEditError extends Error {
  readonly code = 'ManifestEditFailed';
  constructor(message: string) {
    super(message);
    this.name = 'ManifestEditError';
  }
}

function editDocument(text: string, index: number, edit: (doc: Document.Parsed) => void): string {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new ManifestEditError('not a YAML stream');
  const doc = docs[index];
  if (!doc) throw new ManifestEditError(`document ${index + 1} not found`);
  if (doc.errors.length > 0) throw new ManifestEditError(`document ${index + 1}: ${doc.errors[0]?.message}`);
  if (!isMap(doc.contents)) throw new ManifestEditError(`document ${index + 1} is not a mapping`);
  // Only the edited document is re-serialized; the others stay byte for byte. The first document's range
  // starts after its leading comments, which its own serialization includes, hence 0 for it.
  const from = index === 0 ? 0 : doc.range[0];
  const to = doc.range[2];
  edit(doc);
  return text.slice(0, from) + doc.toString() + text.slice(to);
}

/** Sets `metadata.annotations[key]` to `value`, or removes it when `value` is undefined. */
export function setAnnotation(text: string, index: number, key: string, value: string | undefined): string {
  return editDocument(text, index, (doc) => {
    if (value === undefined) {
      doc.deleteIn(['metadata', 'annotations', key]);
      const remaining = doc.getIn(['metadata', 'annotations']);
      if (isMap(remaining) && remaining.items.length === 0) doc.deleteIn(['metadata', 'annotations']);
    } else {
      doc.setIn(['metadata', 'annotations', key], value);
    }
  });
}

/** Replaces the document's `spec` with `spec` (used to commit a failed release's revert). */
export function replaceSpec(text: string, index: number, spec: unknown): string {
  return editDocument(text, index, (doc) => {
    doc.setIn(['spec'], doc.createNode(spec));
  });
}
