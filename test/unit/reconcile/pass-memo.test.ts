import { describe, expect, it } from 'vitest';
import type { AssembledRepository, ResolvedCanary } from '../../../src/core/manifests/assemble.js';
import { liveRefKey } from '../../../src/kube/change-journal.js';
import type { LoadedCommit } from '../../../src/reconcile/manifest-loader.js';
import { shardView, sinceLastPass, type PassMemo } from '../../../src/reconcile/pass-memo.js';
import { aCanary, aTarget } from '../core/builders.js';

function resolved(name: string): ResolvedCanary {
  return {
    canary: aCanary({ name, targetName: name, source: { file: `apps/${name}/canary.yaml`, document: 0 } }),
    target: aTarget(),
    checks: { metrics: [], webhooks: [] },
    templates: {},
  };
}

const assembled: AssembledRepository = {
  canaries: ['a', 'b', 'c'].map(resolved),
  errors: [],
  warnings: [],
};
const view = shardView(assembled, undefined, undefined);
const memo = (unsettled: string[] = []): PassMemo => ({
  head: 'h1',
  assembled,
  results: new Map(),
  unsettled: new Set(unsettled),
  removals: [],
});
const loaded = (overrides: Partial<LoadedCommit> = {}): LoadedCommit => ({
  head: 'h1',
  oids: new Map(),
  assembled,
  freshWarnings: [],
  ...overrides,
});
const nothingMoved = { live: new Set<string>(), due: [], applied: [] };
const service = (name: string) => liveRefKey({ apiVersion: 'v1', kind: 'Service', namespace: 'test', name });

describe('sinceLastPass', () => {
  it('plans again the Canaries left unsettled, due, or marked by their last apply', () => {
    const since = sinceLastPass(memo(['test/a']), loaded(), view, {
      ...nothingMoved,
      due: ['test/b'],
      applied: ['test/c'],
    });
    expect(since).toEqual({ keys: new Set(['test/a', 'test/b', 'test/c']), paths: [] });
    expect(sinceLastPass(memo(), loaded(), view, nothingMoved)?.keys).toEqual(new Set());
  });

  it('finds the Canary of a generated file our commit wrote, and of a live object that moved', () => {
    const advanced = loaded({ head: 'h2', base: { head: 'h1', changed: [generatedOf('b')] } });
    const live = new Set([service('c-canary'), service('someone-elses')]);
    const since = sinceLastPass(memo(), advanced, view, { ...nothingMoved, live });
    expect(since).toEqual({ keys: new Set(['test/b', 'test/c']), paths: [generatedOf('b')] });
  });

  it('cannot tell after another load, a commit not made from the last one, or a live cache that lost track', () => {
    const reloaded = loaded({ assembled: { ...assembled } });
    expect(sinceLastPass(memo(), reloaded, view, nothingMoved)).toBeUndefined();
    const elsewhere = loaded({ head: 'h3', base: { head: 'h2', changed: [] } });
    expect(sinceLastPass(memo(), elsewhere, view, nothingMoved)).toBeUndefined();
    expect(sinceLastPass(memo(), loaded({ head: 'h2' }), view, nothingMoved)).toBeUndefined();
    expect(sinceLastPass(memo(), loaded(), view, { ...nothingMoved, live: 'all' })).toBeUndefined();
  });
});

function generatedOf(name: string): string {
  const path = [...view.owners].find(([, key]) => key === `test/${name}`)?.[0];
  if (!path) throw new Error(`no generated path for ${name}`);
  return path;
}
