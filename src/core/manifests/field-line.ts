// Puts the 1-based line of each reported field into its error or warning, so every message names
// `file:line`. The text is parsed again (with `yaml`, which keeps positions) only when something is reported.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { ManifestError } from './manifest-error.js';
import { withoutDocumentBoms } from '../load-yaml.js';

/** The errors with `line` filled in where the field (or its deepest ancestor present) is found. */
export function withFieldLines(errors: readonly ManifestError[], text: string): ManifestError[] {
  if (!errors.some((error) => error.line === undefined && error.document !== undefined)) return [...errors];
  const lineCounter = new LineCounter();
  let parsed: ReturnType<typeof parseAllDocuments>;
  try {
    // As js-yaml read it (load-yaml.ts), so that document and key are found where it found them.
    parsed = parseAllDocuments(withoutDocumentBoms(text), { lineCounter });
  } catch {
    // A text js-yaml read but this parser cannot (its recursion is deeper): the errors keep their field.
    return [...errors];
  }
  const documents = Array.isArray(parsed) ? parsed : [];
  return errors.map((error) => {
    if (error.line !== undefined || error.document === undefined) return error;
    const contents = documents[error.document]?.contents;
    if (!contents) return error;
    let node: unknown = contents;
    let offset = contents.range?.[0];
    for (const key of fieldKeys(error.field ?? '')) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? error : { ...error, line: lineCounter.linePos(offset).line };
  });
}

/** `spec.stepWeights[2]` or `metadata.annotations["a.io/b"]` back into keys (formatFieldPath's inverse). */
export function fieldKeys(field: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const match of field.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else if (match[3] !== undefined) keys.push(JSON.parse(match[3]) as string);
  }
  return keys;
}
