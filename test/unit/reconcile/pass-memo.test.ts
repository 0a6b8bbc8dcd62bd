import { describe, expect, it } from 'vitest';
import type { AssembledRepository, ResolvedCanary } from '../../../src/core/manifests/assemble.js';
import { liveRefKey } from '../../../src/kube/change-journal.js';
import type { LoadedCommit } from '../../../src/reconcile/manifest-loader.js';
import { pushedOn, shardView, sinceLastPass, type PassMemo } from '../../../src/reconcile/pass-memo.js';
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
  view,
  results: new Map(),
  written: [],
  unsettled: new Set(unsettled),
  orphans: { plans: [], unclaimed: [] },
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
    const advanced = loaded({ head: 'h2', from: { head: 'h1', changed: [generatedOf('b')] } });
    const live = new Set([service('c-canary'), service('someone-elses')]);
    const since = sinceLastPass(memo(), advanced, view, { ...nothingMoved, live });
    expect(since).toEqual({ keys: new Set(['test/b', 'test/c']), paths: [generatedOf('b')] });
  });

  it('after a load that joined again, plans the Canaries resolved again and no other', () => {
    const again = resolved('b');
    const [a, , c] = assembled.canaries;
    if (!a || !c) throw new Error('three Canaries');
    const rejoined: AssembledRepository = { ...assembled, canaries: [a, again, c] };
    const diffed = loaded({
      head: 'h2',
      assembled: rejoined,
      from: { head: 'h1', changed: ['apps/b/service.yaml'] },
    });
    const since = sinceLastPass(memo(), diffed, shardView(rejoined, undefined, undefined), nothingMoved);
    expect(since?.keys).toEqual(new Set(['test/b']));
  });

  it("after a load, knows each live object's Canaries from the view before as a fresh view knows them", () => {
    const before = shardView(assembled, undefined, undefined);
    const moved = { ...nothingMoved, live: new Set([service('a-primary')]) };
    sinceLastPass({ ...memo(), view: before }, loaded(), before, moved);
    // b now targets a's Service under another name; c is gone; d is new.
    const [a] = assembled.canaries;
    if (!a) throw new Error('three Canaries');
    const renamed = resolved('b');
    renamed.canary = { ...renamed.canary, name: 'b', targetName: 'a' };
    const rejoined: AssembledRepository = { ...assembled, canaries: [a, renamed, resolved('d')] };
    const diffed = loaded({
      head: 'h2',
      assembled: rejoined,
      from: { head: 'h1', changed: ['apps/b/canary.yaml'] },
    });
    const [updated, fresh] = [
      shardView(rejoined, undefined, undefined),
      shardView(rejoined, undefined, undefined),
    ];

    sinceLastPass({ ...memo(), view: before }, diffed, updated, moved);
    sinceLastPass({ ...memo(), view: fresh }, diffed, fresh, moved);

    const sorted = (owners: ReadonlyMap<string, string[]> | undefined) =>
      [...(owners ?? [])].map(([ref, keys]) => [ref, [...keys].sort()]).sort();
    expect(before.refOwners?.get(service('c-canary'))).toEqual(['test/c']);
    expect(updated.refOwners?.get(service('c-canary'))).toBeUndefined();
    expect(sorted(updated.refOwners)).toEqual(sorted(fresh.refOwners));
  });

  it('holds for our pushed commit, with what it wrote, so that a commit diffed from ours plans from it', () => {
    const ours = loaded({ head: 'h2', from: { head: 'h1', changed: [generatedOf('a')] } });
    const moved = pushedOn(memo(), ours);
    expect(moved).toMatchObject({ head: 'h2', written: [generatedOf('a')] });
    const theirs = loaded({ head: 'h3', from: { head: 'h2', changed: [generatedOf('c')] } });
    expect(moved && sinceLastPass(moved, theirs, view, nothingMoved)).toEqual({
      keys: new Set(['test/a', 'test/c']),
      paths: [generatedOf('a'), generatedOf('c')],
    });
    expect(pushedOn(memo(), loaded({ head: 'h3', from: { head: 'h2', changed: [] } }))).toBeUndefined();
  });

  it('cannot tell after a listing, a commit not loaded from the last one, or a live cache that lost track', () => {
    const elsewhere = loaded({ head: 'h3', from: { head: 'h2', changed: [] } });
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
