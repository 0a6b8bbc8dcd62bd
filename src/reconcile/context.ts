// What the stages of a reconcile share: the reconciler's options, the manifest loader, the plan cache, and
// what one pass leaves for the next (apply refusals, restorations), plus the shape of one pass's plans.
import type { Logger } from 'pino';
import type { AnalysisNeeds, AnalysisReport } from '../core/analysis-report.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import type { Restoration, RolloutState } from '../core/model.js';
import type { CanaryPlan, LiveObjects, PlanResult } from '../core/plan-rollout.js';
import type { Repository } from '../git/repository.js';
import type { Cluster } from '../kube/cluster.js';
import type { ManifestLoader } from './manifest-loader.js';
import type { CanaryOutcome, Restored } from './outcomes.js';
import type { PassMemo, ShardView } from './pass-memo.js';
import type { PlanCache } from './plan-cache.js';

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

export interface AnalysisRequest {
  resolved: ResolvedCanary;
  needs: AnalysisNeeds;
  state: RolloutState;
  revision: string;
}

export interface ReconcileContext {
  options: ReconcilerOptions;
  loader: ManifestLoader;
  cache: PlanCache;
  /** The API server's reason for the last failed apply of each Canary, while it keeps failing (planned on). */
  applyErrors: Map<string, string>;
  /**
   * Objects an apply of each Canary put back after another field manager reverted them, until the next plan
   * commits it into the state (as the applyErrors are: the commit of a pass comes before its apply).
   */
  restorations: Map<string, Restoration>;
  /** The last pass's plans, for the next pass on the same repository (pass-memo.ts). */
  lastPass?: PassMemo;
  /** The Canaries of the last assembled repository, as this shard sees them. */
  view?: ShardView;
  /** The outcome of each plan result still held: a reused plan's outcome is not made again. */
  outcomes: WeakMap<PlanResult, CanaryOutcome>;
}

/** One pass's plans, in repository order, with what they were made from. */
export interface Pass {
  plans: CanaryPlan[];
  resolved: Map<string, ResolvedCanary>;
  live: Map<string, LiveObjects>;
  outcomes: Map<string, CanaryOutcome>;
  errors: string[];
  /** Every plan was reused from the cache (or is a removal with nothing to do): the pass changed nothing. */
  reusedOnly: boolean;
}

/** Canaries planned, and applied, at the same time (their reads, analysis and writes overlap). */
export const concurrency = 16;
