// A parsed YAML mapping: the one shape every document and nested block is checked against first.
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
