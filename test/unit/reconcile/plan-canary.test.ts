import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { noChecks } from '../../../src/core/analysis/parse-checks.js';
import { generatedPath } from '../../../src/core/generated-file.js';
import type { ResolvedCanary } from '../../../src/core/manifests/assemble.js';
import type { KubeObject } from '../../../src/core/model.js';
import type { CanaryPlan } from '../../../src/core/plan-rollout.js';
import type { ObjectRef } from '../../../src/kube/object-ref.js';
import type { Cluster } from '../../../src/kube/cluster.js';
import type { ReconcileContext, ReconcilerOptions } from '../../../src/reconcile/context.js';
import { ManifestLoader } from '../../../src/reconcile/manifest-loader.js';
import { PlanCache } from '../../../src/reconcile/plan-cache.js';
import { planCanary } from '../../../src/reconcile/plan-canary.js';
import { aCanary, aTarget, minutes, Rollout } from '../core/builders.js';

const key = 'test/podinfo';

/** A Canary at rest: its generated file committed, its objects applied (with `edit` made to them live). */
function atRest(edit: (live: KubeObject) => KubeObject = (live) => live) {
  const resolved: ResolvedCanary = { canary: aCanary(), target: aTarget(), checks: noChecks, templates: {} };
  const first = new Rollout(resolved.canary, resolved.target).reconcile(minutes(0));
  const live = new Map(
    first.desired.map((object) => [
      `${object.kind}/${object.metadata.name}`,
      edit({ ...object, metadata: { ...object.metadata, resourceVersion: '7' } }),
    ]),
  );
  const versionOnly: string[] = [];
  const cluster = {
    get: (ref: ObjectRef) => Promise.resolve(live.get(`${ref.kind}/${ref.name}`)),
    keepVersionOnly: (ref: ObjectRef) => versionOnly.push(`${ref.kind}/${ref.name}`),
  } as unknown as Cluster;
  const repo = {
    listFiles: () => Promise.resolve([]),
    readBlob: () => Promise.resolve(first.content ?? ''),
  };
  const options = {
    cluster,
    applies: true,
    clock: () => minutes(1),
    logger: pino({ level: 'silent' }),
  } as unknown as ReconcilerOptions;
  const ctx: ReconcileContext = {
    options,
    loader: new ManifestLoader(repo, '', { defaultNamespace: 'test' }),
    cache: new PlanCache(true),
    applyErrors: new Map(),
    restorations: new Map(),
    outcomes: new WeakMap(),
  };
  const oids = new Map([[generatedPath(resolved.canary), 'g1']]);
  const names = first.desired.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
  return { ctx, resolved, oids, names, versionOnly };
}

describe('planCanary in apply mode', () => {
  it('confirms a plan at rest that the cluster holds, and keeps neither its objects nor its live ones', async () => {
    const { ctx, resolved, oids, names, versionOnly } = atRest();

    const planned = await planCanary(ctx, resolved, oids, true);

    expect(planned.result).toMatchObject({ kind: 'plan', desired: [] });
    expect(planned.result).not.toHaveProperty('content');
    expect(planned.live).toBeUndefined();
    // The apply stage finds it confirmed: it applies nothing and counts its objects unchanged.
    expect(ctx.cache.unchangedNames(key, planned.result as CanaryPlan)).toEqual(names);
    expect(versionOnly).toEqual(names.map((name) => name.replace('/test/', '/')));
    // The next pass reuses it.
    expect((await planCanary(ctx, resolved, oids, true)).result).toBe(planned.result);
  });

  it('leaves a plan whose objects differ live to the apply stage, after the commit', async () => {
    const { ctx, resolved, oids, versionOnly } = atRest((live) =>
      live.kind === 'HTTPRoute' ? { ...live, spec: { rules: [] } } : live,
    );

    const planned = await planCanary(ctx, resolved, oids, true);

    const plan = planned.result as CanaryPlan;
    expect(plan.desired.length).toBeGreaterThan(0);
    expect(planned.live).toBeDefined();
    expect(ctx.cache.unchangedNames(key, plan)).toBeUndefined();
    expect(versionOnly).toEqual([]);
  });

  it('confirms nothing for a preview, which applies nothing', async () => {
    const { ctx, resolved, oids, versionOnly } = atRest();

    const planned = await planCanary(ctx, resolved, oids, false);

    expect((planned.result as CanaryPlan).desired.length).toBeGreaterThan(0);
    expect(ctx.cache.unchangedNames(key, planned.result as CanaryPlan)).toBeUndefined();
    expect(versionOnly).toEqual([]);
  });
});
