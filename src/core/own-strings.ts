// js-yaml returns strings sliced from the text it parsed, and V8 keeps the whole text alive for as long as
// one slice of it lives: a kept `name: podinfo` pins its whole file. A reconciler holding 5,000 Canaries kept
// every manifest and generated file this way (~12 MiB at 5,000). Copying the strings of what is kept lets
// the texts go.
//
// The copy is also where a document is expanded: js-yaml gives an alias (`*name`) the very object of its
// anchor, so a billion-laughs document is a few kilobytes of shared objects until something walks it as a
// tree. The copy is that walk, so it counts what it makes and stops at a fixed budget; it refuses the keys
// that name a JavaScript object's prototype, and an alias that contains itself.
import { formatFieldPath } from './manifests/manifest-error.js';

export const documentLimits = {
  /** Nodes (mappings, sequences, keys and scalars) of one document once its aliases are expanded. */
  maxNodes: 100_000,
  /** Characters of its keys and strings once its aliases are expanded. */
  maxChars: 4 * 1024 * 1024,
  /** Nesting of mappings and sequences, aliases included (js-yaml's own limit, which does not see them). */
  maxDepth: 100,
} as const;

/** Keys refused in every document read: they name the prototype of the object they would be set on. */
const prototypeKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

type OwnDocument<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/**
 * `value` copied, with every string in a string of its own, within documentLimits; or why not, with the
 * path of the field where the copy stopped. Plain objects and arrays are copied, other values kept.
 */
export function ownDocument<T>(value: T): OwnDocument<T> {
  const copier = new BoundedCopy();
  try {
    return { ok: true, value: copier.copy(value, 0) as T };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return { ok: false, field: formatFieldPath(copier.path), message: error.message };
  }
}

class Refused extends Error {}

class BoundedCopy {
  /** Where the copy is, for the error. */
  readonly path: (string | number)[] = [];
  private nodes = 0;
  private chars = 0;
  /** Mappings and sequences met so far: meeting one again is meeting an alias. */
  private readonly seen = new Set<object>();
  private readonly ancestors: object[] = [];
  private aliased = false;

  copy(value: unknown, depth: number): unknown {
    this.count(typeof value === 'string' ? value.length : 0);
    // A JSON round trip makes a fresh flat string, where slice, concat and template literals may not.
    if (typeof value === 'string') return JSON.parse(JSON.stringify(value)) as string;
    if (value === null || typeof value !== 'object') return value;
    const plain = Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype;
    // Dates and other values of a richer schema: nothing to copy.
    if (!plain) return value;
    if (this.seen.has(value)) {
      this.aliased = true;
      if (this.ancestors.includes(value)) throw new Refused('a YAML alias refers to a node that contains it');
    } else this.seen.add(value);
    if (depth >= documentLimits.maxDepth) {
      throw new Refused(`nested deeper than ${documentLimits.maxDepth} levels${this.throughAliases()}`);
    }
    this.ancestors.push(value);
    let copied: unknown;
    if (Array.isArray(value)) {
      copied = value.map((item: unknown, index) => {
        this.path.push(index);
        const itemCopy = this.copy(item, depth + 1);
        this.path.pop();
        return itemCopy;
      });
    } else {
      const object: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        this.path.push(key);
        if (prototypeKeys.has(key)) {
          throw new Refused(`the key "${key}" is refused: it names a JavaScript object's prototype`);
        }
        this.count(key.length);
        object[key] = this.copy(item, depth + 1);
        this.path.pop();
      }
      copied = object;
    }
    this.ancestors.pop();
    return copied;
  }

  private count(chars: number): void {
    this.nodes += 1;
    this.chars += chars;
    if (this.nodes > documentLimits.maxNodes) {
      throw new Refused(`${this.expands()} more than ${documentLimits.maxNodes.toLocaleString('en')} nodes`);
    }
    // Within the file size limit, only aliases (of strings, too, which are not seen) can come to this.
    if (this.chars > documentLimits.maxChars) {
      throw new Refused(
        `YAML aliases expand this document to more than ${documentLimits.maxChars / 1024 / 1024} MiB of text`,
      );
    }
  }

  private expands(): string {
    return this.aliased ? 'YAML aliases expand this document to' : 'this document holds';
  }

  private throughAliases(): string {
    return this.aliased ? ' (through YAML aliases)' : '';
  }
}
