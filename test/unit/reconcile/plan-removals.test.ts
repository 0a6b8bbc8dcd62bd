import { describe, expect, it } from 'vitest';
import type { ReconcileContext } from '../../../src/reconcile/context.js';
import type { LoadedCommit } from '../../../src/reconcile/manifest-loader.js';
import type { Removals } from '../../../src/reconcile/pass-memo.js';
import { planRemovals } from '../../../src/reconcile/plan-removals.js';
import { planRemoval } from '../../../src/core/removal.js';
import { aCanary, minutes, Rollout } from '../core/builders.js';
import { random, type Random } from '../../support/random.js';

const names = ['a', 'b', 'c', 'd', 'e', 'f'];
const generated = (name: string) => `apps/${name}/${name}.gitcanary.yaml`;
const canaryKey = (name: string) => `test/${name}`;

/**
 * Each app's generated file in two revisions, so that a file can change: as its first plan wrote it, and as
 * a removal wrote it back.
 */
const texts = new Map<string, string>();
for (const name of names) {
  const rollout = new Rollout(
    aCanary({ name, targetName: name, source: { file: `apps/${name}/canary.yaml`, document: 0 } }),
  );
  const first = rollout.reconcile(minutes(0)).content ?? '';
  const removed = planRemoval(generated(name), first, minutes(10))?.content;
  if (!removed) throw new Error('no generated file');
  texts.set(`${name}-0`, first);
  texts.set(`${name}-1`, removed);
}

const ctx = {
  options: { applies: true, clock: () => minutes(30) },
  loader: { boundedText: (oid: string) => Promise.resolve(texts.get(oid)) },
} as unknown as ReconcileContext;

/** A commit: the Canaries in git (each claims its generated path) and the files. */
interface Commit {
  loaded: LoadedCommit;
  claimed: Map<string, string>;
  canaries: Set<string>;
}

function commit(head: string, r: Random, before?: Commit): Commit {
  const oids = new Map<string, string>([['README.md', 'readme']]);
  const canaries = new Set<string>();
  const claimed = new Map<string, string>();
  for (const name of names) {
    oids.set(`apps/${name}/service.yaml`, `service-${name}`);
    if (r.chance(0.6)) {
      canaries.add(canaryKey(name));
      claimed.set(generated(name), canaryKey(name));
    }
    if (r.chance(0.7)) oids.set(generated(name), `${name}-${r.chance(0.5) ? 1 : 0}`);
  }
  const changed = before
    ? [...new Set([...oids.keys(), ...before.loaded.oids.keys()])].filter(
        (path) => oids.get(path) !== before.loaded.oids.get(path),
      )
    : [];
  const assembled = { canaries: [], errors: [], warnings: [] };
  const loaded: LoadedCommit = {
    head,
    oids,
    assembled,
    freshWarnings: [],
    ...(before ? { from: { head: before.loaded.head, changed } } : {}),
  };
  return { loaded, claimed, canaries };
}

describe('planRemovals from the search before', () => {
  it.each(Array.from({ length: 20 }, (_, seed) => seed))(
    'finds what a pass over every path finds, commit after commit (seed %i)',
    async (seed) => {
      const r = random(seed);
      let previous = commit('c0', r);
      let search: Removals = await planRemovals(
        ctx,
        previous.loaded,
        previous.claimed,
        previous.canaries,
        undefined,
      );
      let orphansSeen = 0;
      for (let n = 1; n < 15; n += 1) {
        const next = commit(`c${n}`, r, previous);
        const { loaded, claimed, canaries } = next;
        // A pass over every path: of this commit, and of the one before for the files gone since.
        const listed: LoadedCommit = { ...loaded };
        delete listed.from;
        const full = await planRemovals(ctx, listed, claimed, canaries, previous.loaded);
        const since = await planRemovals(ctx, loaded, claimed, canaries, previous.loaded, {
          unclaimed: search.unclaimed,
          owners: previous.claimed,
          changed: loaded.from?.changed ?? [],
        });
        expect(since).toEqual(full);
        orphansSeen += full.plans.length;
        [previous, search] = [next, since];
      }
      // The commits do make orphans, and deletions, to be found.
      expect(orphansSeen).toBeGreaterThan(0);
    },
  );
});
