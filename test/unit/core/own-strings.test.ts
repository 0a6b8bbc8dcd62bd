import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseGeneratedFile } from '../../../src/core/generated-file.js';
import { parseManifestFile } from '../../../src/core/manifests/parse-file.js';
import { withOwnStrings } from '../../../src/core/own-strings.js';
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
// A large text beside what is kept: 2 MiB, different every time so that nothing is shared.
const filler = (i: number) => `${String(i).padStart(8, '0')}${'x'.repeat(2 * 1024 * 1024)}`;

describe('withOwnStrings', () => {
  it('copies objects and arrays, keeps dates, and keeps a __proto__ key as a plain key', () => {
    const when = new Date('2026-11-26T00:00:00Z');
    // JSON.parse and spread both make `__proto__` an own key, as js-yaml does.
    const parsed = JSON.parse('{"a":[{"b":"c"}],"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const input: Record<string, unknown> = { ...parsed, when, n: 1, none: null };

    const copy = withOwnStrings(input);

    expect(copy).toEqual(input);
    expect(copy.a).not.toBe(input.a);
    expect(copy.when).toBe(when);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toContain('__proto__');
  });
});

describe('what a parse keeps does not pin the text it came from', () => {
  it('parseManifestFile: a Service parsed beside a large document', () => {
    const grown = retainedMiB(20, (i) => {
      const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: ${filler(i)}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo-${i}\nspec:\n  selector:\n    app.kubernetes.io/name: podinfo-frontend-blue\n`;
      return parseManifestFile('apps/podinfo.yaml', text, { defaultNamespace: 'apps' }).services;
    });

    // 20 texts of 2 MiB: 40 MiB if each were still held.
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
