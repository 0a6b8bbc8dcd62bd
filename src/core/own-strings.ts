// js-yaml returns strings sliced from the text it parsed, and V8 keeps the whole text alive for as long as
// one slice of it lives: a kept `name: podinfo` pins its whole file. A reconciler holding 5,000 Canaries kept
// every manifest and generated file this way (~12 MiB at 5,000). Copying the strings of what is kept lets
// the texts go.

/** `value` with every string copied into a string of its own; objects and arrays are copied, other values kept. */
export function withOwnStrings<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  // A JSON round trip makes a fresh flat string, where slice, concat and template literals may not.
  if (typeof value === 'string') return JSON.parse(JSON.stringify(value)) as string;
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    // fromEntries defines each key as an own property, so a YAML key `__proto__` stays a plain key.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(item)]));
  }
  // Dates (YAML timestamps), numbers, booleans, null: nothing to copy.
  return value;
}
