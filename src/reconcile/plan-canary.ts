// Observe and plan one Canary: its live objects, then its last plan when that still holds (core/at-rest.ts),
// or a fresh plan from its generated file, the analysis it needs, and `planRollout`.
import { restOf, type PlanInputs } from '../core/at-rest.js';
import { emptyReport } from '../core/analysis-report.js';
import { generatedPath, type GeneratedFile } from '../core/generated-file.js';
import { kustomizationFileNames } from '../core/kustomization-resources.js';
import { liveObjectsOf, liveRefs } from '../core/live-objects.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { formatManifestError } from '../core/manifests/manifest-error.js';
import type { CanarySpec } from '../core/model.js';
import {
  canaryKey,
  planPrerequisites,
  planRollout,
  type LiveObjects,
  type PlanResult,
} from '../core/plan-rollout.js';
import type { ReconcileContext } from './context.js';
import { allUnchanged } from './live-diff.js';

/**
 * The last plan of a Canary when all it was made from is unchanged, seen in the live cache alone: no
 * promise, so most of an idle poll costs no turn of the event loop.
 */
export function reusedPlan(
  ctx: ReconcileContext,
  resolved: ResolvedCanary,
  oids: ReadonlyMap<string, string>,
  /** The pass's time, epoch ms. */
  now: number,
): { result: PlanResult; live: LiveObjects } | undefined {
  const { canary } = resolved;
  const key = canaryKey(canary);
  if (ctx.restorations.has(key)) return undefined;
  const seen = liveRefs(canary).map((ref) => ctx.options.cluster.peek(ref));
  if (seen.some((entry) => entry === undefined)) return undefined;
  const live = liveObjectsOf(seen.map((entry) => entry?.object));
  const result = ctx.cache.reuse(key, inputsOf(resolved, oids, live), now);
  return result && { result, live };
}

/** Plans a Canary the cache could not answer for from memory. */
export async function planCanary(
  ctx: ReconcileContext,
  resolved: ResolvedCanary,
  oids: ReadonlyMap<string, string>,
  analyzing: boolean,
): Promise<{ result: PlanResult; live?: LiveObjects }> {
  const { options, loader, cache } = ctx;
  const { canary, target } = resolved;
  const key = canaryKey(canary);
  const live = await observe(ctx, canary);
  const inputs = inputsOf(resolved, oids, live);
  const now = options.clock();
  const restored = ctx.restorations.get(key);
  const reused = restored ? undefined : cache.reuse(key, inputs, now.getTime());
  if (reused) return { result: reused, live };

  const previous = await readPrevious(ctx, canary, inputs.generatedOid);
  if (previous && !previous.ok) {
    // Stalled until the file (or the Canary) changes: not read again at every poll.
    cache.remember(key, inputs, previous.error, restOf(previous.error, undefined));
    return { result: previous.error, live };
  }
  const state = previous?.file.state;
  const needed = planPrerequisites({ now, canary, target, state, live, applies: options.applies });
  const { analyze } = options;
  const analysis =
    state && analyze && analyzing && (needed.needs.metrics || needed.needs.webhooks.length > 0)
      ? await analyze({ resolved, needs: needed.needs, state, revision: needed.revision })
      : emptyReport;
  const applyError = ctx.applyErrors.get(key);
  const result = planRollout({
    now,
    canary,
    target,
    targetFile: needed.targetFile ? await loader.text(oids.get(target.source.file) ?? '') : undefined,
    kustomization: inputs.generatedOid ? undefined : await kustomizationBeside(ctx, canary, oids),
    references: resolved.references,
    previous: previous && { file: previous.file, content: previous.content },
    analysis,
    live,
    applies: options.applies,
    applyError,
    restored,
    allowExternalIPs: options.allowExternalIPs ?? false,
  });
  const rest = restOf(result, {
    revisionSettled: state?.revision === needed.revision,
    needs: needed.needs,
    applyFailed: applyError !== undefined,
    restored: restored !== undefined,
  });
  const remembered = cache.remember(key, inputs, result, rest);
  if (remembered && rest?.forgetLive) {
    // A plan at rest is reused without its generated file's text: the loader need not keep it.
    if (inputs.generatedOid) loader.forget(inputs.generatedOid);
    // In commit-only mode it is reusable at once, and only the live objects' versions are compared.
    if (!options.applies) keepVersionsOnly(ctx, canary);
  }
  const confirmed = remembered && analyzing ? confirmHeld(ctx, canary, result, live) : undefined;
  return confirmed ? { result: confirmed } : { result, live };
}

/**
 * A plan at rest whose objects the cluster holds already, as observed for it, is confirmed here, as its
 * apply would confirm it after the commit: that apply would write nothing, so nothing is applied before git.
 * What the pass keeps is then the plan without its objects and no live objects: a cold start of 5,000
 * Canaries in sync no longer holds every Canary's rendered objects and live objects until the apply stage
 * (the peak of its memory). Undefined when the plan must go to the apply stage.
 */
function confirmHeld(
  ctx: ReconcileContext,
  canary: CanarySpec,
  result: PlanResult,
  live: LiveObjects,
): PlanResult | undefined {
  if (!ctx.options.applies || result.kind !== 'plan' || result.deletions?.length) return undefined;
  const names = allUnchanged(result.desired, live);
  const rest = names && ctx.cache.confirm(result.canary, result, names);
  if (!rest) return undefined;
  if (rest.forgetLive) keepVersionsOnly(ctx, canary);
  return ctx.cache.kept(result.canary);
}

/** A Canary at rest: its reused plan compares only the versions of its live objects, not their content. */
export function keepVersionsOnly(ctx: ReconcileContext, canary: CanarySpec): void {
  for (const ref of liveRefs(canary)) ctx.options.cluster.keepVersionOnly(ref);
}

function inputsOf(
  resolved: ResolvedCanary,
  oids: ReadonlyMap<string, string>,
  live: LiveObjects,
): PlanInputs {
  return { resolved, generatedOid: oids.get(generatedPath(resolved.canary)), live };
}

async function observe(ctx: ReconcileContext, canary: CanarySpec): Promise<LiveObjects> {
  const { cluster } = ctx.options;
  return liveObjectsOf(await Promise.all(liveRefs(canary).map((ref) => cluster.get(ref))));
}

/** The generated file as committed, or the error that its Canary cannot be planned from it. */
async function readPrevious(
  ctx: ReconcileContext,
  canary: CanarySpec,
  oid: string | undefined,
): Promise<
  | { ok: true; file: GeneratedFile; content: string }
  | { ok: false; error: PlanResult & { kind: 'error' } }
  | undefined
> {
  if (!oid) return undefined;
  const read = await ctx.loader.generatedFile(canary, generatedPath(canary), oid);
  if (read.ok) return read;
  const message = formatManifestError(read.error);
  return {
    ok: false,
    error: { kind: 'error', canary: canaryKey(canary), code: 'GeneratedFileInvalid', message },
  };
}

/** The kustomization file of the folder the generated file goes into, when that folder has one. */
async function kustomizationBeside(
  ctx: ReconcileContext,
  canary: CanarySpec,
  oids: ReadonlyMap<string, string>,
): Promise<{ path: string; content: string } | undefined> {
  const generated = generatedPath(canary);
  const dir = generated.slice(0, generated.lastIndexOf('/') + 1);
  for (const name of kustomizationFileNames) {
    const oid = oids.get(`${dir}${name}`);
    if (oid) return { path: `${dir}${name}`, content: await ctx.loader.text(oid) };
  }
  return undefined;
}
