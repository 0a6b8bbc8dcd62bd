// The reconcile pipeline, one linear pass: poll the branch head → fetch when it moved → load manifests
// (parsed once per blob) → observe the live objects → plan each Canary (pure) → commit and push (git is
// the truth, so it goes first) → apply what differs → report one change set.
import type { Logger } from 'pino';
import {
  analysisNeeds,
  planRollout,
  type CanaryPlan,
  type LiveObjects,
  type PlanResult,
} from '../core/plan-rollout.js';
import { diffObject, type ObjectDiff } from '../core/cluster-diff.js';
import { liveList, liveObjectsOf, liveRefs } from '../core/live-objects.js';
import { canaryLabel, isManagedByUs } from '../core/generated-objects.js';
import { routerOf } from '../core/routers/router-registry.js';
import {
  generatedPath,
  isGeneratedPath,
  parseOrphanedFile,
  type GeneratedFile,
} from '../core/generated-file.js';
import { planRemoval } from '../core/removal.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { formatManifestError } from '../core/manifests/manifest-error.js';
import type { CanarySpec, KubeObject, Restoration, RolloutState } from '../core/model.js';
import { emptyReport, type AnalysisNeeds, type AnalysisReport } from '../core/analysis-report.js';
import { revertsOnFailure } from '../core/gates.js';
import { revisionOf } from '../core/revision.js';
import { kustomizationFileNames } from '../core/kustomization-resources.js';
import type { Repository } from '../git/repository.js';
import { pushWithRetry } from '../git/push-with-retry.js';
import { pollHead } from '../git/poll-head.js';
import { ManifestLoader, type LoadedCommit } from './manifest-loader.js';
import { QuietPlans } from './quiet-plans.js';
import { describeRef, refOf, type Cluster } from '../kube/cluster.js';
import { isRefusal, kubeErrorFact } from '../kube/errors.js';
import { failedCondition, type Condition } from '../core/outcome-class.js';
import { EventLoopTurns } from '../runtime/event-loop-turns.js';
import { inShard } from '../core/shards.js';

export interface ReconcilerOptions {
  repo: Repository;
  cluster: Cluster;
  /** False: commit only, and let Argo CD / Flux apply the generated files. */
  applies: boolean;
  /** Generated Services may copy the target's `spec.externalIPs` (refused by default). */
  allowExternalIPs?: boolean;
  /** Only manifests under this folder of the repository are read ('' for all). */
  root: string;
  defaultNamespace: string;
  /** The provider of Canaries that name none (--default-provider). */
  defaultProvider?: string;
  /** The target's labels and annotations never copied (--not-copied); the GitOps tools' marks by default. */
  notCopied?: readonly string[];
  /** When set, Canaries in other namespaces are reported and left alone. */
  namespaces?: readonly string[];
  /**
   * When set, only the Canaries of this shard are reconciled ('' for those without the label): the others,
   * and the generated files of the others, are left to their own shard (core/shards.ts).
   */
  shard?: string;
  author: { name: string; email: string };
  clock: () => Date;
  logger: Logger;
  /** Collects what `analysisNeeds` asks for (webhooks, metrics); without it every check passes. */
  analyze?: (request: AnalysisRequest) => Promise<AnalysisReport>;
  /** Told of each pushed step (event and post-rollout webhooks); its failures are its own to log. */
  notify?: (resolved: ResolvedCanary, plan: CanaryPlan) => Promise<void>;
  /** Told of the objects put back after another field manager changed them (a stale applier). */
  restored?: (resolved: ResolvedCanary, restored: readonly Restored[]) => Promise<void>;
}

/** An object another field manager changed away from the committed step, and gitcanary put back. */
export interface Restored {
  canary: string;
  /** `Kind/namespace/name`. */
  object: string;
  /** Who had taken its fields, from the API server's conflict (empty if none was named). */
  managers: string[];
}

export interface AnalysisRequest {
  resolved: ResolvedCanary;
  needs: AnalysisNeeds;
  state: RolloutState;
  revision: string;
}

export interface CanaryOutcome {
  canary: string;
  phase?: string;
  weight?: number;
  revision?: string;
  waiting?: string;
  error?: string;
  /** Ready, or why not: Retrying (the next pass may succeed) or Stalled (a person must act). */
  condition?: Condition;
  /** The code of the error (e.g. HandEdited, ApplyFailed), when not Ready. */
  reason?: string;
}

export interface ChangeSet {
  created: string[];
  configured: string[];
  unchanged: string[];
  deleted: string[];
  failed: string[];
  /** Of the configured ones, those another field manager had changed since gitcanary applied them. */
  restored: Restored[];
}

export function emptyChangeSet(): ChangeSet {
  return { created: [], configured: [], unchanged: [], deleted: [], failed: [], restored: [] };
}

/** Adds what `from` did to `into`, each list in order. */
function addChanges(into: ChangeSet, from: ChangeSet): void {
  into.created.push(...from.created);
  into.configured.push(...from.configured);
  into.unchanged.push(...from.unchanged);
  into.deleted.push(...from.deleted);
  into.failed.push(...from.failed);
  into.restored.push(...from.restored);
}

export interface ReconcileSummary {
  head: string;
  commits: string[];
  changes: ChangeSet;
  canaries: CanaryOutcome[];
  /** Manifest errors not tied to one Canary (e.g. a malformed file). */
  errors: string[];
}

export interface FilePreview {
  path: string;
  before: string;
  after: string;
}

export interface CanaryPreview {
  canary: string;
  commitMessage?: string;
  files: FilePreview[];
  /** Objects that a reconcile would create or change (none in commit-only mode). */
  cluster: ObjectDiff[];
}

export interface ReconcilePreview {
  head: string;
  canaries: CanaryPreview[];
  outcomes: CanaryOutcome[];
  errors: string[];
}

interface Pass {
  plans: CanaryPlan[];
  resolved: Map<string, ResolvedCanary>;
  live: Map<string, LiveObjects>;
  outcomes: Map<string, CanaryOutcome>;
  errors: string[];
}

/** How many promotion-like transitions may chain within one reconcile. */
const maxChainedPasses = 5;

/** Canaries planned, and applied, at the same time (their reads, analysis and writes overlap). */
const concurrency = 16;

export class Reconciler {
  private readonly loader: ManifestLoader;
  private readonly quiet: QuietPlans;
  /** The last commit loaded: an idle poll plans on the same head, and need not list and join it again. */
  private loaded: LoadedCommit | undefined;
  /** The API server's reason for the last failed apply of each Canary, while it keeps failing (planned on). */
  private readonly applyErrors = new Map<string, string>();
  /**
   * Objects an apply of each Canary put back after another field manager reverted them, until the next plan
   * commits it into the state (as the applyErrors are: the commit of a pass comes before its apply).
   */
  private readonly restorations = new Map<string, Restoration>();
  private head: string | undefined;

  constructor(private readonly options: ReconcilerOptions) {
    this.loader = new ManifestLoader(options.repo, options.root, {
      defaultNamespace: options.defaultNamespace,
      ...(options.defaultProvider ? { defaultProvider: options.defaultProvider } : {}),
      ...(options.notCopied ? { notCopied: options.notCopied } : {}),
    });
    this.quiet = new QuietPlans(options.applies);
  }

  /** The Canaries of the last commit loaded, as resolved: what telling people reads their alerts from. */
  resolvedCanaries(): readonly ResolvedCanary[] {
    return this.loaded?.assembled.canaries ?? [];
  }

  async reconcileOnce(): Promise<ReconcileSummary> {
    const { repo, logger } = this.options;
    const started = this.options.clock();
    const kube = { ...this.options.cluster.stats };
    // One ref listing; a fetch only when the head moved (also after a restart, thanks to the local store).
    this.head = (await pollHead(repo)).head;
    const commits: string[] = [];
    const changes = emptyChangeSet();
    let pass: Pass | undefined;
    for (let round = 0; round < maxChainedPasses; round += 1) {
      const planned = await this.commitAndPush();
      pass = planned.pass;
      commits.push(...planned.commits);
      // Each plan made recorded its Canary's last restoration in the state it pushed.
      for (const plan of pass.plans) this.restorations.delete(plan.canary);
      if (this.options.applies) await this.apply(pass, changes);
      if (planned.commits.length > 0) await this.notify(pass);
      const chained = this.options.applies && pass.plans.some((p) => p.continueImmediately);
      if (!chained) break;
    }
    if (!pass || !this.head) throw new Error('unreachable: a reconcile makes at least one pass');
    const summary: ReconcileSummary = {
      head: this.head,
      commits,
      changes,
      canaries: [...pass.outcomes.values()],
      errors: pass.errors,
    };
    logger.info(
      {
        head: summary.head,
        commits: commits.length,
        created: changes.created.length,
        configured: changes.configured.length,
        unchanged: changes.unchanged.length,
        deleted: changes.deleted.length,
        failed: changes.failed.length,
        restored: changes.restored.length,
        canaries: summary.canaries.length,
        errors: summary.errors.length + summary.canaries.filter((c) => c.error).length,
        // Requests to the API server; reads are 0 for objects the live cache holds.
        kubeReads: this.options.cluster.stats.reads - kube.reads,
        kubeWrites: this.options.cluster.stats.writes - kube.writes,
        durationMs: this.options.clock().getTime() - started.getTime(),
      },
      'reconciled',
    );
    return summary;
  }

  /** Plans on the current head and pushes the commits; on a conflict re-plans on the new head. */
  private async commitAndPush(): Promise<{ pass: Pass; commits: string[] }> {
    const { repo, author, clock } = this.options;
    let pass: Pass | undefined;
    let commits: string[] = [];
    const result = await pushWithRetry({
      repo,
      ...(this.head ? { head: this.head } : {}),
      onConflict: ({ attempt, delayMs }) =>
        this.options.logger.warn({ attempt, delayMs }, 'push rejected, re-planning on the new head'),
      attempt: async (head) => {
        this.head = head;
        pass = await this.plan(head);
        commits = [];
        let parent = head;
        for (const plan of pass.plans) {
          if ((plan.content === undefined && !plan.remove) || plan.commitMessage === undefined) continue;
          parent = await repo.commit({
            parent,
            changes: [
              { path: plan.path, content: plan.remove ? null : (plan.content ?? null) },
              ...plan.otherChanges,
            ],
            message: plan.commitMessage,
            author,
            timestamp: Math.floor(clock().getTime() / 1000),
          });
          commits.push(parent);
        }
        return commits.length > 0 ? parent : undefined;
      },
    });
    this.head = result.pushed ?? result.head;
    if (!pass) throw new Error('unreachable: pushWithRetry calls attempt at least once');
    return { pass, commits };
  }

  /**
   * What a reconcile would do now, without doing it: the commit, the file changes and the cluster patches.
   * No webhook or query is run (a dry run must not trigger side effects), so a due step shows as passing.
   */
  async preview(): Promise<ReconcilePreview> {
    const head = (await pollHead(this.options.repo)).head;
    const pass = await this.plan(head, false);
    const { oids } = await this.loader.load(head);
    const canaries: CanaryPreview[] = [];
    for (const plan of pass.plans) {
      const files: FilePreview[] = [];
      for (const change of plan.content === undefined
        ? []
        : [{ path: plan.path, content: plan.content }, ...plan.otherChanges]) {
        const oid = oids.get(change.path);
        files.push({
          path: change.path,
          before: oid ? await this.loader.text(oid) : '',
          after: change.content,
        });
      }
      const live = pass.live.get(plan.canary) ?? {};
      const byName = liveByName(live);
      canaries.push({
        canary: plan.canary,
        ...(plan.commitMessage ? { commitMessage: plan.commitMessage } : {}),
        files,
        cluster: this.options.applies
          ? plan.desired
              .map((object) => diffObject(object, byName.get(`${object.kind}/${object.metadata.name}`)))
              .filter((diff) => diff.action !== 'unchanged')
          : [],
      });
    }
    return { head, canaries, outcomes: [...pass.outcomes.values()], errors: pass.errors };
  }

  private async plan(head: string, analyzing = true): Promise<Pass> {
    const { logger } = this.options;
    const reloaded = this.loaded?.head !== head;
    const before = this.loaded;
    if (!this.loaded || reloaded) {
      this.loaded = await this.loader.load(head);
      // Said once per revision of the file that has them, not at every poll.
      for (const warning of this.loaded.freshWarnings) {
        logger.warn(
          { canary: warning.canary, file: warning.file, field: warning.field },
          formatManifestError(warning),
        );
      }
    }
    const { oids, assembled } = this.loaded;
    const outcomes = new Map<string, CanaryOutcome>();
    const errors: string[] = [];
    for (const error of assembled.errors) {
      const message = formatManifestError(error);
      logger.warn({ canary: error.canary, file: error.file }, message);
      if (error.canary)
        outcomes.set(error.canary, {
          canary: error.canary,
          error: message,
          ...failedCondition({ source: 'manifest', code: error.code }),
        });
      else errors.push(message);
    }

    const plans: CanaryPlan[] = [];
    const byKey = new Map<string, ResolvedCanary>();
    const live = new Map<string, LiveObjects>();
    const paths = new Map<string, string>();
    // Plan the Canaries concurrently, then record the outcomes in repository order.
    const steps: (
      { key: string; resolved: ResolvedCanary } | { key: string; clash: string; message: string }
    )[] = [];
    for (const resolved of assembled.canaries) {
      const key = `${resolved.canary.namespace}/${resolved.canary.name}`;
      const path = generatedPath(resolved.canary);
      const clash = paths.get(path);
      if (clash) {
        const message = `${path}: generated file of both ${clash} and ${key}; give the Canaries distinct names`;
        steps.push({ key, clash, message });
        continue;
      }
      paths.set(path, key);
      // Another shard's Canary: its generated file is claimed (not an orphan here), nothing else.
      if (!inShard(this.options.shard, resolved.canary.shard)) continue;
      byKey.set(key, resolved);
      steps.push({ key, resolved });
    }
    const toPlan = steps.flatMap((step) => ('resolved' in step ? [step.resolved] : []));
    // Canaries whose last plan still holds are answered at once, without a promise (most of an idle
    // poll); the others are planned concurrently.
    const results: (PlanResult | undefined)[] = toPlan.map((resolved) =>
      this.reusedPlan(resolved, oids, live),
    );
    const unplanned = toPlan.filter((_, i) => !results[i]);
    const planned = await mapConcurrently(unplanned, concurrency, (resolved) =>
      this.planCanary(resolved, oids, live, analyzing),
    );
    let fresh = 0;
    for (let i = 0; i < results.length; i += 1) results[i] ??= planned[fresh++];
    let next = 0;
    for (const step of steps) {
      if (!('resolved' in step)) {
        const clashed = failedCondition({ source: 'generated-path', code: 'GeneratedPathClash' });
        outcomes.set(step.key, { canary: step.key, error: step.message, ...clashed });
        outcomes.set(step.clash, { canary: step.clash, error: step.message, ...clashed });
        continue;
      }
      const result = results[next++];
      if (!result) throw new Error('unreachable: one result per planned Canary');
      outcomes.set(step.key, outcomeOf(result));
      if (result.kind === 'plan') plans.push(result);
      else logger.error({ canary: step.key, code: result.code }, result.message);
    }
    if (reloaded) {
      this.quiet.keepOnly(new Set(byKey.keys()));
      // A restoration of a Canary gone from git (or from this shard) has nowhere to be recorded.
      for (const key of this.restorations.keys()) if (!byKey.has(key)) this.restorations.delete(key);
    }
    // Every Canary in the repository, whatever its shard: a generated file of one of them is no orphan.
    const present = new Set(assembled.canaries.map(({ canary }) => `${canary.namespace}/${canary.name}`));
    const removals = await this.planRemovals(new Set(paths.keys()), present, reloaded ? before : undefined);
    for (const removal of removals) outcomes.set(removal.canary, outcomeOf(removal));
    // A clash found after the first Canary was planned leaves both out.
    const kept = plans.filter((p) => !outcomes.get(p.canary)?.error);
    return { plans: [...kept, ...removals], resolved: byKey, live, outcomes, errors };
  }

  /**
   * Canaries deleted from git. One whose generated file remains has its traffic sent to the primary (or,
   * with revertOnDeletion, its file and objects deleted); one whose generated file went too has its objects
   * deleted, read from the file of the commit before (apply mode only: in commit-only mode the GitOps tool
   * prunes). A Canary whose file is broken is not deleted: nothing is done for a generated file while any
   * error names its Canary or the file its Canary was in.
   */
  private async planRemovals(
    claimed: ReadonlySet<string>,
    canaries: ReadonlySet<string>,
    before: LoadedCommit | undefined,
  ): Promise<CanaryPlan[]> {
    const loaded = this.loaded;
    if (!loaded) return [];
    const { namespaces } = this.options;
    const broken = new Set(loaded.assembled.errors.flatMap((e) => [e.file, ...(e.canary ? [e.canary] : [])]));
    const actionable = (text: string): { key: string } | undefined => {
      const parsed = parseOrphanedFile(text);
      if (!parsed) return undefined;
      const { name, namespace, source, shard } = parsed.owner;
      const key = `${namespace}/${name}`;
      if (canaries.has(key) || broken.has(key) || broken.has(source.file)) return undefined;
      if (!inShard(this.options.shard, shard)) return undefined;
      return !namespaces || namespaces.includes(namespace) ? { key } : undefined;
    };
    const plans: CanaryPlan[] = [];
    const now = this.options.clock();
    for (const [path, oid] of loaded.oids) {
      if (!isGeneratedPath(path) || claimed.has(path)) continue;
      const text = await this.loader.boundedText(oid);
      const plan = text !== undefined && actionable(text) && planRemoval(path, text, now);
      if (plan) plans.push(plan);
    }
    if (!before || !this.options.applies) return plans;
    for (const [path, oid] of before.oids) {
      if (!isGeneratedPath(path) || loaded.oids.has(path)) continue;
      // The file went in the same commit as its Canary (or after it): delete what it listed.
      const text = await this.loader.boundedText(oid, { keep: false });
      const parsed = text !== undefined && actionable(text) && parseOrphanedFile(text);
      if (!parsed) continue;
      const { owner, file } = parsed;
      plans.push({
        kind: 'plan',
        canary: `${owner.namespace}/${owner.name}`,
        path,
        otherChanges: [],
        state: file.state,
        desired: [],
        deletions: [...file.routes, file.canary, file.primary],
        events: [],
        continueImmediately: false,
        waiting: 'canary and its generated file removed from git',
      });
    }
    return plans;
  }

  /** The kustomization file of the folder the generated file goes into, when that folder has one. */
  private async kustomizationBeside(
    canary: CanarySpec,
    oids: ReadonlyMap<string, string>,
  ): Promise<{ path: string; content: string } | undefined> {
    const generated = generatedPath(canary);
    const dir = generated.slice(0, generated.lastIndexOf('/') + 1);
    for (const name of kustomizationFileNames) {
      const oid = oids.get(`${dir}${name}`);
      if (oid) return { path: `${dir}${name}`, content: await this.loader.text(oid) };
    }
    return undefined;
  }

  private async planCanary(
    resolved: ResolvedCanary,
    oids: ReadonlyMap<string, string>,
    liveByCanary: Map<string, LiveObjects>,
    analyzing: boolean,
  ): Promise<PlanResult> {
    const { canary, target } = resolved;
    const generatedOid = oids.get(generatedPath(canary));
    const key = `${canary.namespace}/${canary.name}`;
    const { namespaces } = this.options;
    if (namespaces && !namespaces.includes(canary.namespace)) {
      return {
        kind: 'error',
        canary: key,
        code: 'NotWatched',
        message: `namespace ${canary.namespace} is not watched`,
      };
    }
    // Observed first: with the live cache this costs nothing, and it decides whether the last plan holds.
    const live = await this.observe(canary);
    liveByCanary.set(key, live);
    const inputs = { resolved, generatedOid, live };
    const restored = this.restorations.get(key);
    const reused = restored ? undefined : this.quiet.reuse(key, inputs);
    if (reused) return reused;
    let previous: { file: GeneratedFile; content: string } | undefined;
    if (generatedOid) {
      const read = await this.loader.generatedFile(canary, generatedPath(canary), generatedOid);
      if (!read.ok) {
        return {
          kind: 'error',
          canary: key,
          code: 'GeneratedFileInvalid',
          message: formatManifestError(read.error),
        };
      }
      previous = { file: read.file, content: read.content };
    }
    const now = this.options.clock();
    const state = previous?.file.state;
    const revision = revisionOf(target.object);
    const needs = analysisNeeds(canary, state, revision, now, {
      routeReadiness: routerOf(canary.provider).readiness(canary, live.routes ?? []),
      commitOnly: !this.options.applies,
    });
    const { analyze } = this.options;
    const analysis =
      state && analyze && analyzing && (needs.metrics || needs.webhooks.length > 0)
        ? await analyze({ resolved, needs, state, revision })
        : emptyReport;
    const targetFile = revertsOnFailure(canary)
      ? await this.loader.text(oids.get(target.source.file) ?? '')
      : undefined;
    const result = planRollout({
      now,
      canary,
      target,
      targetFile,
      kustomization: generatedOid ? undefined : await this.kustomizationBeside(canary, oids),
      references: resolved.references,
      previous,
      analysis,
      live,
      applies: this.options.applies,
      applyError: this.applyErrors.get(key),
      restored,
      allowExternalIPs: this.options.allowExternalIPs ?? false,
    });
    const settled = state?.revision === revision && !needs.metrics && needs.webhooks.length === 0;
    if (this.quiet.remember(key, inputs, result, settled)) {
      // A plan at rest is reused without its generated file's text: the loader need not keep it.
      if (generatedOid) this.loader.forget(generatedOid);
      // In commit-only mode it is reusable at once, and only the live objects' versions are compared.
      if (!this.options.applies) this.keepVersionsOnly(canary);
    }
    return result;
  }

  /** A Canary at rest: its reused plan compares only the versions of its live objects, not their content. */
  private keepVersionsOnly(canary: CanarySpec): void {
    for (const ref of liveRefs(canary)) this.options.cluster.keepVersionOnly(ref);
  }

  private async observe(canary: CanarySpec): Promise<LiveObjects> {
    const { cluster } = this.options;
    return liveObjectsOf(await Promise.all(liveRefs(canary).map((ref) => cluster.get(ref))));
  }

  /** The last plan of a Canary when all it was made from is unchanged, seen in the live cache alone. */
  private reusedPlan(
    resolved: ResolvedCanary,
    oids: ReadonlyMap<string, string>,
    liveByCanary: Map<string, LiveObjects>,
  ): CanaryPlan | undefined {
    const { canary } = resolved;
    const seen = liveRefs(canary).map((ref) => this.options.cluster.peek(ref));
    if (seen.some((entry) => entry === undefined)) return undefined;
    const live = liveObjectsOf(seen.map((entry) => entry?.object));
    const key = `${canary.namespace}/${canary.name}`;
    if (this.restorations.has(key)) return undefined;
    const plan = this.quiet.reuse(key, { resolved, generatedOid: oids.get(generatedPath(canary)), live });
    if (plan) liveByCanary.set(key, live);
    return plan;
  }

  /** After the push: the steps are facts now, so webhooks hear of them (never before). */
  private async notify(pass: Pass): Promise<void> {
    const { notify } = this.options;
    if (!notify) return;
    await Promise.all(
      pass.plans
        .filter((plan) => plan.content !== undefined && plan.events.length > 0)
        .map((plan) => {
          const resolved = pass.resolved.get(plan.canary);
          return resolved ? notify(resolved, plan) : Promise.resolve();
        }),
    );
  }

  private async apply(pass: Pass, changes: ChangeSet): Promise<void> {
    const { cluster, logger } = this.options;
    // A reused plan was found unchanged already. The others are applied concurrently, each one's objects
    // in order; the change set keeps plan order.
    const reused = pass.plans.map((plan) => this.quiet.unchangedNames(plan.canary, plan));
    const toApply = pass.plans.filter((_, i) => !reused[i]);
    const applied = await mapConcurrently(toApply, concurrency, async (plan) => {
      const own = emptyChangeSet();
      const restoredObjects: string[] = [];
      let refusal: string | undefined;
      const live = pass.live.get(plan.canary) ?? {};
      const byName = liveByName(live);
      for (const object of plan.desired) {
        const name = describeRef(refOf(object));
        const diff = diffObject(object, byName.get(`${object.kind}/${object.metadata.name}`));
        if (diff.action === 'unchanged') {
          own.unchanged.push(name);
          continue;
        }
        try {
          // Nothing new was committed for it, so the live object drifted from the committed step.
          if (diff.action === 'update' && plan.content === undefined) {
            const managers = await cluster.restore(object);
            own.restored.push({ canary: plan.canary, object: name, managers });
            restoredObjects.push(`${object.kind}/${object.metadata.name}`);
            logger.warn(
              { canary: plan.canary, object: name, managers },
              'restored an object another field manager changed away from the committed step',
            );
          } else await cluster.apply(object);
          (diff.action === 'create' ? own.created : own.configured).push(name);
          logger.info({ canary: plan.canary, object: name, action: diff.action }, 'applied');
        } catch (err) {
          own.failed.push(name);
          // Only the API server's refusal of the objects stalls the Canary in git; a timeout, a 5xx or a
          // closed connection is an outage: the step waits for the cluster, readiness says so, git says nothing.
          if (isRefusal(err)) refusal ??= oneLine((err as Error).message);
          const outcome = pass.outcomes.get(plan.canary);
          if (outcome)
            Object.assign(outcome, { error: (err as Error).message, ...failedCondition(kubeErrorFact(err)) });
          logger.error(
            { canary: plan.canary, object: name, err },
            'apply failed; the next reconcile retries',
          );
        }
      }
      for (const object of plan.deletions ?? []) {
        const name = describeRef(refOf(object));
        try {
          const live = await cluster.get(refOf(object));
          // Only what gitcanary generated for this Canary is ever deleted.
          if (
            !live ||
            !isManagedByUs(live) ||
            live.metadata.labels?.[canaryLabel] !== object.metadata.labels?.[canaryLabel]
          )
            continue;
          await cluster.delete(refOf(object));
          own.deleted.push(name);
          logger.info({ canary: plan.canary, object: name }, 'deleted');
        } catch (err) {
          own.failed.push(name);
          if (isRefusal(err)) refusal ??= oneLine((err as Error).message);
          logger.error(
            { canary: plan.canary, object: name, err },
            'delete failed; the next reconcile retries',
          );
        }
      }
      const resolvedCanary = pass.resolved.get(plan.canary);
      if (own.restored.length > 0) {
        this.restorations.set(plan.canary, {
          objects: restoredObjects,
          managers: [...new Set(own.restored.flatMap((r) => r.managers))].sort(),
          at: this.options.clock().toISOString(),
        });
        if (resolvedCanary && this.options.restored)
          await this.options.restored(resolvedCanary, own.restored);
      }
      if (refusal) this.applyErrors.set(plan.canary, refusal);
      else this.applyErrors.delete(plan.canary);
      // Only a Canary at rest (its plan kept for reuse) lets the whole of its live objects go.
      const atRest =
        own.unchanged.length === plan.desired.length && this.quiet.confirm(plan.canary, plan, own.unchanged);
      if (atRest && resolvedCanary) this.keepVersionsOnly(resolvedCanary.canary);
      return own;
    });
    let fresh = 0;
    for (const names of reused) {
      if (names) {
        changes.unchanged.push(...names);
        continue;
      }
      const own = applied[fresh++];
      if (!own) throw new Error('unreachable: one change set per applied plan');
      addChanges(changes, own);
    }
  }
}

/** `fn` over `items`, at most `limit` at a time; the results in the order of `items`. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const turns = new EventLoopTurns();
  const worker = async () => {
    for (;;) {
      while (turns.spent()) await turns.next();
      if (next >= items.length) return;
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function liveByName(live: LiveObjects): Map<string, KubeObject> {
  return new Map(
    liveList(live)
      .filter((o): o is KubeObject => !!o)
      .map((o) => [`${o.kind}/${o.metadata.name}`, o]),
  );
}

/** An error as one short line, fit for the state document and a commit. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function outcomeOf(result: PlanResult): CanaryOutcome {
  if (result.kind === 'error')
    return {
      canary: result.canary,
      error: result.message,
      ...failedCondition({ source: 'plan', code: result.code }),
    };
  return {
    canary: result.canary,
    condition: 'Ready',
    phase: result.state.phase,
    weight: result.state.canaryWeight,
    revision: result.state.revision,
    ...(result.waiting ? { waiting: result.waiting } : {}),
  };
}
