// A field whose value gitcanary passes on as written (Istio's corsPolicy and trafficPolicy go into the objects
// as they are) is read against its node of the field tree: only the fields the tree knows are kept, each must
// have the JSON type the tree declares (and a value of its enum), and a YAML null is "not set". So what is
// written out is exactly what the tree documents; an unknown field is dropped here and warned of by
// classifyFields, like every other.
import type { FieldNode } from './canary-fields.js';
import type { FieldIssue } from './field-issue.js';
import { isRecord } from './is-record.js';

export function readByTree(value: unknown, node: FieldNode, at: string, issues: FieldIssue[]): unknown {
  if (value === null || value === undefined) return undefined;
  const wrong = (what: string) => {
    issues.push({ field: at, message: `must be ${what}` });
    return undefined;
  };
  switch (node.type) {
    case 'object': {
      if (!isRecord(value)) return wrong('an object');
      if (!node.fields) return value;
      const kept: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        const childNode = node.fields[key];
        if (!childNode || childNode.support !== 'supported') continue;
        const read = readByTree(child, childNode, `${at}.${key}`, issues);
        if (read !== undefined) kept[key] = read;
      }
      return kept;
    }
    case 'map': {
      if (!isRecord(value)) return wrong('an object');
      const values = node.values;
      const entries = Object.entries(value).map(([key, v]) => [
        key,
        values ? readByTree(v, values, `${at}.${key}`, issues) : v,
      ]);
      return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    }
    case 'array': {
      if (!Array.isArray(value)) return wrong('a list');
      const items = node.items;
      return (value as unknown[])
        .map((item, i) => (items ? readByTree(item, items, `${at}[${i}]`, issues) : item))
        .filter((item) => item !== undefined);
    }
    case 'string':
      return typeof value === 'string' ? inEnum(value, node, at, issues) : wrong('a string');
    case 'integer':
      return Number.isInteger(value) ? value : wrong('an integer');
    case 'number':
      return typeof value === 'number' ? value : wrong('a number');
    case 'boolean':
      return typeof value === 'boolean' ? value : wrong('true or false');
    case 'int-or-string':
      return Number.isInteger(value) || typeof value === 'string' ? value : wrong('an integer or a string');
    case 'any':
      return value;
  }
}

function inEnum(value: string, node: FieldNode, at: string, issues: FieldIssue[]): string | undefined {
  const allowed = node.crd?.enum;
  if (!Array.isArray(allowed) || allowed.includes(value)) return value;
  issues.push({ field: at, message: `must be one of ${allowed.join(', ')}` });
  return undefined;
}
