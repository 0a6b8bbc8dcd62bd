// The folder contract with kustomize: when a Canary's folder has a kustomization.yaml, Flux and Argo CD build
// only what it lists, so a generated file it does not list is never applied (a commit-only release would
// wait at 0 forever). The commit that first writes the generated file also lists it, by a minimal edit that
// keeps the person's comments and layout. Text in, text out.
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** The names kustomize reads as a folder's kustomization, in the order it tries them. */
export const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

type ListResult =
  { kind: 'listed' } | { kind: 'edited'; content: string } | { kind: 'unreadable'; reason: string };

/**
 * `text` with `entry` appended to `resources` (the key added when absent), or `listed` when it is already
 * there (as `entry` or `./entry`). A file that is not one YAML mapping, or whose `resources` is not a list,
 * is left alone: `unreadable`, with the reason.
 */
export function listResource(text: string, entry: string): ListResult {
  // Edited as a plain document: what is added has no source range.
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) return { kind: 'unreadable', reason: doc.errors[0]?.message ?? 'invalid YAML' };
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) return { kind: 'unreadable', reason: 'not a mapping' };
  const resources = doc.contents.get('resources', true);
  if (resources === undefined || (isScalar(resources) && resources.value === null)) {
    doc.contents.set('resources', doc.createNode([entry]));
    return { kind: 'edited', content: doc.toString() };
  }
  if (!isSeq(resources)) return { kind: 'unreadable', reason: '`resources` is not a list' };
  const listed = resources.items.some((item) => {
    const value = isScalar(item) ? item.value : item;
    return value === entry || value === `./${entry}`;
  });
  if (listed) return { kind: 'listed' };
  resources.add(doc.createNode(entry));
  return { kind: 'edited', content: doc.toString() };
}
