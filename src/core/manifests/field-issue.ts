// A problem with one field of a document, before it is tied to a file: the normalizer, the routers and the
// check parsers report these, and the caller adds where the document is.
export interface FieldIssue {
  /** Dotted path as written in the document, e.g. `spec.analysis.stepWeight`. */
  field: string;
  message: string;
}
