import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseGeneratedFile } from '../../../src/core/generated-file.js';
import { parseManifestFile } from '../../../src/core/manifests/parse-file.js';
import { documentLimits, ownDocument } from '../../../src/core/own-strings.js';
import { minutes, Rollout } from './builders.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap growth, in MiB, while `keep` holds what `make` returned for `count` inputs. */
function retainedMiB(count: number, make: (i: number) => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: count }, (_, i) => make(i));
  gc();
  const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  expect(kept).toHaveLength(count);
  return grown;
}

// V8 slices strings of 13 characters or more; shorter ones are always copied, so the tests keep longer ones.
// A large text beside what is kept: 900 KiB (under the 1 MiB a file may hold), different every time so that
// nothing is shared.
const filler = (i: number) => `${String(i).padStart(8, '0')}${'x'.repeat(900 * 1024)}`;

describe('ownDocument', () => {
  it('copies objects and arrays with strings of their own, and keeps dates and other scalars', () => {
    const when = new Date('2026-11-26T00:00:00Z');
    const input: Record<string, unknown> = { a: [{ b: 'c' }], when, n: 1, none: null, yes: true };

    const own = ownDocument(input);

    expect(own).toEqual({ ok: true, value: input });
    const copy = own.ok ? own.value : {};
    expect(copy.a).not.toBe(input.a);
    expect(copy.when).toBe(when);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses a %s key, with the field that holds it',
    (key) => {
      // JSON.parse makes `__proto__` an own key, as js-yaml does.
      const document = JSON.parse(`{"metadata":{"labels":[{"${key}":{"polluted":true}}]}}`) as unknown;

      expect(ownDocument(document)).toEqual({
        ok: false,
        field: `metadata.labels[0].${key}`,
        message: `the key "${key}" is refused: it names a JavaScript object's prototype`,
      });
    },
  );

  it('expands a shared node as often as it is used, as a tree', () => {
    const shared = { name: 'podinfo-frontend-blue' };
    const own = ownDocument({ a: shared, b: shared });

    expect(own).toEqual({ ok: true, value: { a: shared, b: shared } });
    const copy = own.ok ? own.value : undefined;
    expect(copy?.a).not.toBe(copy?.b);
  });

  it('stops a billion laughs at the node budget, without expanding it', () => {
    // Ten levels of ten aliases each: 10^10 leaves once expanded, 100 objects as parsed.
    let level: unknown = ['lol'];
    for (let i = 0; i < 10; i += 1) level = Array.from({ length: 10 }, () => level);

    const started = performance.now();
    const own = ownDocument({ data: level });

    expect(own).toMatchObject({
      ok: false,
      message: `YAML aliases expand this document to more than ${documentLimits.maxNodes.toLocaleString('en')} nodes`,
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stops at the text budget when one long string is used many times', () => {
    const long = 'x'.repeat(64 * 1024);
    const own = ownDocument({ data: Array.from({ length: 100 }, () => long) });

    expect(own).toMatchObject({
      ok: false,
      field: expect.stringMatching(/^data\[\d+\]$/) as unknown,
      message: 'YAML aliases expand this document to more than 4 MiB of text',
    });
  });

  it('refuses more than 100,000 nodes without aliases, and nesting deeper than the limit', () => {
    expect(ownDocument({ list: Array.from({ length: 100_001 }, (_, i) => i) })).toMatchObject({
      ok: false,
      message: 'this document holds more than 100,000 nodes',
    });
    let deep: unknown = {};
    for (let i = 0; i < documentLimits.maxDepth; i += 1) deep = { d: deep };
    expect(ownDocument(deep)).toMatchObject({
      ok: false,
      message: `nested deeper than ${documentLimits.maxDepth} levels`,
    });
  });

  it('refuses an alias that contains itself', () => {
    const loop: unknown[] = [];
    loop.push(loop);

    expect(ownDocument({ spec: loop })).toEqual({
      ok: false,
      field: 'spec[0]',
      message: 'a YAML alias refers to a node that contains it',
    });
  });
});

describe('what a parse keeps does not pin the text it came from', () => {
  it('parseManifestFile: a Service parsed beside a large document', () => {
    const grown = retainedMiB(20, (i) => {
      const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: ${filler(i)}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo-${i}\nspec:\n  selector:\n    app.kubernetes.io/name: podinfo-frontend-blue\n`;
      const { services, errors } = parseManifestFile('apps/podinfo.yaml', text, { defaultNamespace: 'apps' });
      // A Service not parsed would keep nothing and pass for the wrong reason.
      expect({ services: services.length, errors }).toEqual({ services: 1, errors: [] });
      return services;
    });

    // 20 texts of 900 KiB: 18 MiB if each were still held.
    expect(grown).toBeLessThan(5);
    // Parsing 40 MiB of YAML takes seconds on a loaded two-core machine.
  }, 30_000);

  it('parseGeneratedFile: the state and objects read back from a file with a large comment', () => {
    const rollout = new Rollout();
    const rendered = rollout.reconcile(minutes(0)).content ?? '';
    const { canary } = rollout.input;

    expect(rendered).toContain('podinfo-primary');
    const grown = retainedMiB(20, (i) => {
      const parsed = parseGeneratedFile(canary, `# ${filler(i)}\n${rendered}`);
      // A file not read back would keep nothing and pass for the wrong reason.
      if (!parsed.ok) throw new Error(`not read back: ${parsed.message}`);
      expect(parsed.file.state.phase).toBe('Initialized');
      return parsed.file;
    });

    expect(grown).toBeLessThan(5);
  }, 30_000);
});
