// What is wrong with the repository's input manifests, as data: `gitcanary validate` prints these, the
// reconciler stalls the canaries they name and keeps the others going. Warnings (a field that does nothing
// here) have the same shape and their own code.

export interface ManifestError {
  /** ManifestInvalid: the Canary (or file) is left out. FieldIgnored: a warning, the Canary goes on. */
  code: 'ManifestInvalid' | 'FieldIgnored';
  /** Path in the repository, as given to parseManifestFile. */
  file: string;
  /** 0-based index of the document within the file (SourceRef.document); absent for file-level errors. */
  document?: number;
  /** 1-based line and column, for YAML syntax errors. */
  line?: number;
  column?: number;
  /** Dotted path of the offending field, e.g. `spec.analysis.stepWeight` or `spec.service.gatewayRefs[0].name`. */
  field?: string;
  message: string;
  /** `namespace/name` of the Canary concerned, when known. */
  canary?: string;
}

/**
 * One line for a person: `file:line: field: message` when the line is known, else `file#doc: field: message`
 * (the document number is 1-based here, "the second document" is `#2`, unlike SourceRef). Warnings say so.
 */
export function formatManifestError(error: ManifestError): string {
  let location = error.file;
  if (error.line !== undefined) {
    location += `:${error.line}`;
    if (error.column !== undefined) location += `:${error.column}`;
  } else if (error.document !== undefined) location += `#${error.document + 1}`;
  const severity = error.code === 'FieldIgnored' ? 'warning: ' : '';
  const field = error.field === undefined ? '' : `${error.field}: `;
  return `${location}: ${severity}${field}${error.message}`;
}

/** Joins a path as a person would write it: `spec.stepWeights[2]`, `metadata.annotations["a.io/b"]`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/u.test(key))
      text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** Orders errors by where they are, so output and tests do not depend on the order files were read. */
export function compareManifestErrors(a: ManifestError, b: ManifestError): number {
  return (
    compareText(a.file, b.file) ||
    (a.document ?? -1) - (b.document ?? -1) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compareText(a.field ?? '', b.field ?? '') ||
    compareText(a.message, b.message)
  );
}

/** Code-point order, not locale order: the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
