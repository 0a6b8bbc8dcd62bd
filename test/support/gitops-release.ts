// A release run with a GitOps tool beside gitcanary, on a simulated clock: every tick gitcanary reconciles,
// then the emulated tool (gitops-emulator.ts) syncs if it was asked to or its interval is up, and the live
// objects are sampled. What the issue 13 suite asserts is read back afterwards from git (the committed states
// and their times) and from the samples (when each state went live). Call `gitopsCleanup()` from afterEach.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load, loadAll } from 'js-yaml';
import { pino } from 'pino';
import { GitOpsNotifier, type NotifyTarget } from '../../src/kube/gitops-notifier.js';
import { fieldManager as gitcanaryFieldManager } from '../../src/kube/cluster.js';
import { CanaryEventRecorder } from '../../src/kube/canary-events.js';
import type { ReconcileSummary, Restored } from '../../src/reconcile/outcomes.js';
import { installCrds } from '../../harness/control-plane.js';
import { gitCli } from './git-cli.js';
import {
  applyConflicts,
  GitOpsEmulator,
  type ArgoTracking,
  type SyncRecord,
  type Tool,
} from './gitops-emulator.js';
import { RawKube, type Unstructured } from './raw-kube.js';
import {
  canary,
  clusterIpSpec,
  kc,
  releaseCleanup,
  server,
  service,
  setup,
  type Setup,
} from './release-fixture.js';
import './provided-context.js';

export type Provider = 'gatewayapi' | 'kubernetes';

export interface RunOptions {
  tool: Tool;
  tracking?: ArgoTracking;
  provider: Provider;
  /** Default mode (gitcanary applies too) or commit-only (--apply=false: only the tool applies). */
  applies: boolean;
  /** gitcanary asks the tool to sync after each push (--notify). */
  notify?: boolean;
  lag?: boolean;
  /** The tool's own sync period. */
  toolIntervalSeconds?: number;
  /** More labels of the target Service, as a person wrote them. */
  targetLabels?: Record<string, string>;
  /** More files of the app folder, by name (e.g. a kustomization.yaml). */
  extraFiles?: Record<string, string>;
  /** The Canary asks for `spec.revertOnDeletion`. */
  revertOnDeletion?: boolean;
}

/** The kinds whose deletions `deletionsSince` reports, and their collections' versions at a moment. */
export type DeletionMark = { apiVersion: string; kind: string; version: string }[];

/** What the live objects say of a step: the Services' selectors and the route's weights. */
export interface StepState {
  primary: string | undefined;
  canary: string | undefined;
  weights?: number[] | undefined;
}

export interface Sample {
  at: number;
  state: string;
}

export interface CommittedState {
  sha: string;
  /** Seconds since the epoch, from the simulated clock (gitcanary's commits only). */
  time: number;
  author: string;
  subject: string;
  state: string | undefined;
}

export const appPath = 'apps/podinfo';
export const generatedFile = `${appPath}/podinfo.gitcanary.yaml`;
export const intervalSeconds = 60;
const tickSeconds = 10;

const kubernetesCanary = (ns: string) => `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  targetRef:
    apiVersion: v1
    kind: Service
    name: podinfo
  provider: kubernetes
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 2
    iterations: 3
`;

const canaryOf = (options: RunOptions, ns: string) => {
  const text = options.provider === 'gatewayapi' ? canary(ns) : kubernetesCanary(ns);
  const provider = `  provider: ${options.provider}`;
  return options.revertOnDeletion ? text.replace(provider, `${provider}\n  revertOnDeletion: true`) : text;
};

/** The Canary's file in the app folder. */
export const canaryFile = `${appPath}/canary.yaml`;

const cleanups: (() => Promise<void>)[] = [];
export async function gitopsCleanup(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await releaseCleanup();
}

/** The gitcanary.dev CRDs, so the tools can apply the Canary and the CanaryState as they are. */
export async function installGitcanaryCrds(): Promise<void> {
  const crds = await Promise.all(
    ['canaries.gitcanary.dev.yaml', 'canarystates.gitcanary.dev.yaml'].map(
      async (file) => load(await readFile(`deploy/crds/${file}`, 'utf8')) as V1CustomResourceDefinition,
    ),
  );
  await installCrds(inject('controlPlane'), crds);
}

export class GitOpsRelease {
  readonly samples: Sample[] = [];
  /** Conflicts met when the last build is applied again with force=false (tool, and gitcanary by default). */
  readonly reapplyConflicts: string[] = [];
  /** Objects gitcanary put back after the tool changed them (default mode), from its summaries. */
  readonly restored: Restored[] = [];
  /** Objects gitcanary deleted (a removed Canary), in order, from its summaries. */
  readonly deleted: string[] = [];
  /** What gitcanary's passes said of each Canary, the last pass's outcomes. */
  outcomes: ReconcileSummary['canaries'] = [];
  /** Ticks after which the live objects differed from the head's committed ones, in default mode. */
  readonly notAtHead: string[] = [];
  private seconds = 0;

  private constructor(
    readonly options: RunOptions,
    readonly s: Setup,
    readonly tool: GitOpsEmulator,
    readonly kube: RawKube,
    private readonly start: number,
  ) {}

  static async start(options: RunOptions): Promise<GitOpsRelease> {
    const kube = new RawKube(inject('controlPlane'));
    const holder: { clock?: () => Date } = {};
    const clock = () => holder.clock?.() ?? new Date();
    const logger = pino({ level: 'silent' });
    const targets: NotifyTarget[] = [];
    const notifier = new GitOpsNotifier(kc, targets, { logger, clock });
    const events = new CanaryEventRecorder(kc, logger, clock);
    const s = await setup(
      (ns) => ({
        [`${appPath}/service.yaml`]: target(options, ns, 'blue'),
        [canaryFile]: canaryOf(options, ns),
        [`${appPath}/README.md`]: 'not a manifest',
        ...Object.fromEntries(
          Object.entries(options.extraFiles ?? {}).map(([name, text]) => [`${appPath}/${name}`, text]),
        ),
      }),
      {
        applies: options.applies,
        ...(options.notify ? { notify: notifier.notify } : {}),
        restored: (resolved, restored) => events.recordRestored(resolved.canary, restored),
      },
    );
    holder.clock = () => s.clock.now;
    const name = 'podinfo';
    if (options.notify) targets.push({ tool: options.tool, namespace: s.ns, name });
    const tool = await GitOpsEmulator.start({
      tool: options.tool,
      ...(options.tracking ? { tracking: options.tracking } : {}),
      name,
      namespace: s.ns,
      git: { url: s.url, dir: join(server.root, `release-${s.ns}.git`) },
      path: appPath,
      ...(options.lag ? { lag: true } : {}),
      intervalSeconds: options.toolIntervalSeconds ?? 30,
      clock,
      kustomize: inject('kustomizeBinary'),
      kube,
    });
    cleanups.push(() => Promise.resolve(kube.close()));
    return new GitOpsRelease(options, s, tool, kube, s.clock.now.getTime());
  }

  get ns(): string {
    return this.s.ns;
  }

  /** The person's release: the target's selector moves to green. */
  async releaseGreen(): Promise<void> {
    await this.s.human.commitAndPush(
      { [`${appPath}/service.yaml`]: target(this.options, this.ns, 'green') },
      'release green',
    );
  }

  /** Ticks until `until` (seconds on the simulated clock) or until `done` holds after a tick. */
  async runUntil(until: number, done?: () => Promise<boolean>): Promise<void> {
    while (this.seconds <= until) {
      await this.tick();
      this.seconds += tickSeconds;
      if (done && (await done())) return;
    }
  }

  /** One tick: gitcanary's pass, the tool's sync if due, the checks and samples of each. */
  async tick(): Promise<SyncRecord | undefined> {
    const at = this.start + this.seconds * 1000;
    this.s.clock.now = new Date(at);
    const summary = await this.s.reconciler.reconcileOnce();
    this.restored.push(...summary.changes.restored);
    this.deleted.push(...summary.changes.deleted);
    this.outcomes = summary.canaries;
    const head = await this.headGenerated();
    if (this.options.applies && head) {
      await this.sample(at);
      const committed = stateOf(head, this.options.provider);
      const live = this.samples.at(-1)?.state;
      if (live !== committed) this.notAtHead.push(`${this.seconds}s: live ${live}, committed ${committed}`);
      const generated = head.filter((o) => o.kind !== 'CanaryState');
      this.reapplyConflicts.push(...(await applyConflicts(this.kube, generated, gitcanaryFieldManager)));
    }
    const sync = await this.tool.tick();
    await this.sample(at);
    if (sync && this.tool.lastRevision === this.tool.fetchedRevision)
      this.reapplyConflicts.push(...(await this.tool.reapplyConflicts()));
    return sync;
  }

  get now(): number {
    return this.seconds;
  }

  async phase(): Promise<string | undefined> {
    const head = await this.headGenerated();
    const state = head?.find((o) => o.kind === 'CanaryState') as { spec?: { phase?: string } } | undefined;
    return state?.spec?.phase;
  }

  /** Every commit on main, oldest first, with the state its generated file commits. */
  async history(): Promise<CommittedState[]> {
    const gitDir = join(server.root, `release-${this.ns}.git`);
    const log = await gitCli([
      '--git-dir',
      gitDir,
      'log',
      '--reverse',
      '--format=%H%x09%ct%x09%an%x09%s',
      'main',
    ]);
    const commits: CommittedState[] = [];
    for (const line of log.split('\n').filter(Boolean)) {
      const [sha = '', time = '0', author = '', subject = ''] = line.split('\t');
      const text = await gitCli(['--git-dir', gitDir, 'show', `${sha}:${generatedFile}`]).catch(
        () => undefined,
      );
      const state =
        text === undefined ? undefined : stateOf(loadAll(text) as Unstructured[], this.options.provider);
      commits.push({ sha, time: Number(time), author, subject, state });
    }
    return commits;
  }

  /** The files a commit changed, sorted. */
  async changedFiles(sha: string): Promise<string[]> {
    const gitDir = join(server.root, `release-${this.ns}.git`);
    const out = await gitCli(['--git-dir', gitDir, 'show', '--name-only', '--format=', sha]);
    return out.split('\n').filter(Boolean).sort();
  }

  /** The Events on the Canary with this reason, their messages. */
  async events(reason: string): Promise<string[]> {
    const list = await this.kube.list('v1', 'Event', this.ns);
    return list
      .filter((e) => e.reason === reason && (e.involvedObject as { kind?: string }).kind === 'Canary')
      .map((e) => String(e.message));
  }

  /** The collections' versions now of the generated kinds (Services, and the route for gatewayapi). */
  async deletionMark(): Promise<DeletionMark> {
    const kinds = [
      { apiVersion: 'v1', kind: 'Service' },
      ...(this.options.provider === 'gatewayapi'
        ? [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' }]
        : []),
    ];
    return Promise.all(
      kinds.map(async (k) => ({
        ...k,
        version: await this.kube.collectionVersion(k.apiVersion, k.kind, this.ns),
      })),
    );
  }

  /** The objects of those kinds deleted since the mark, by anyone, in the order the API server deleted them. */
  async deletionsSince(mark: DeletionMark): Promise<string[]> {
    const deleted = await Promise.all(
      mark.map((k) => this.kube.deletedSince(k.apiVersion, k.kind, this.ns, k.version)),
    );
    return deleted
      .flat()
      .sort((a, b) => a.resourceVersion - b.resourceVersion)
      .map((d) => d.ref);
  }

  /** The state the live objects are in now. */
  async liveState(): Promise<string> {
    const get = (apiVersion: string, kind: string, name: string) =>
      this.kube.get({ apiVersion, kind, namespace: this.ns, name });
    const [primary, canaryService, route] = await Promise.all([
      get('v1', 'Service', 'podinfo-primary'),
      get('v1', 'Service', 'podinfo-canary'),
      this.options.provider === 'gatewayapi'
        ? get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'podinfo')
        : Promise.resolve(undefined),
    ]);
    return stateOf(
      [primary, canaryService, route].filter((o): o is Unstructured => !!o),
      this.options.provider,
    );
  }

  private async sample(at: number): Promise<void> {
    this.samples.push({ at: at / 1000, state: await this.liveState() });
  }

  private async headGenerated(): Promise<Unstructured[] | undefined> {
    const text = await this.s.human.show(generatedFile).catch(() => undefined);
    return text === undefined ? undefined : (loadAll(text) as Unstructured[]);
  }
}

/** The target Service's file, with the run's extra labels. */
function target(options: RunOptions, ns: string, color: string): string {
  const extra = Object.entries(options.targetLabels ?? {}).map(([k, v]) => `\n    ${k}: ${v}`);
  return service(ns, clusterIpSpec(color)).replace(
    'app.kubernetes.io/name: podinfo',
    `app.kubernetes.io/name: podinfo${extra.join('')}`,
  );
}

/** The step a set of generated (or live) objects stands for, as a comparable string. */
export function stateOf(objects: readonly Unstructured[], provider: Provider): string {
  type Step = Unstructured & {
    spec?: { selector?: { app?: string }; rules?: { backendRefs?: { weight?: number }[] }[] };
  };
  const find = (kind: string, name: string): Step | undefined =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  const state: StepState = {
    primary: find('Service', 'podinfo-primary')?.spec?.selector?.app,
    canary: find('Service', 'podinfo-canary')?.spec?.selector?.app,
  };
  if (provider === 'gatewayapi')
    state.weights = find('HTTPRoute', 'podinfo')?.spec?.rules?.[0]?.backendRefs?.map((b) => b.weight ?? 1);
  return JSON.stringify(state);
}

/** `items` without runs of equal neighbours. */
export function withoutRepeats<T>(items: readonly T[]): T[] {
  return items.filter((item, i) => i === 0 || item !== items[i - 1]);
}

/** True when `sequence` appears within `within` in order (not necessarily contiguous). */
export function isSubsequence<T>(sequence: readonly T[], within: readonly T[]): boolean {
  let next = 0;
  for (const item of within) if (next < sequence.length && item === sequence[next]) next += 1;
  return next === sequence.length;
}

/** A commit made by an analysis that came due (a step, an iteration, promotion), not by a chain or a wait. */
export const isTimedStep = (subject: string) =>
  /^podinfo: (weight \d+ → \d+|iteration \d+ → \d+.*|promoting [0-9a-f]{12})$/.test(subject);

export interface JudgedStep {
  step: string;
  /** When the state it judged was first seen live (simulated seconds since the epoch). */
  liveAt: number;
  judgedAt: number;
  /** Seconds the judged state had been live. */
  liveFor: number;
}

/**
 * For every timed step: how long the state it judged (that of the last commit before it that changed the
 * objects) had been live in the cluster when it was committed, from the samples.
 */
export function judgedSteps(history: readonly CommittedState[], samples: readonly Sample[]): JudgedStep[] {
  const ours = history.filter((c) => c.author === 'gitcanary');
  const steps: JudgedStep[] = [];
  ours.forEach((commit, i) => {
    if (!isTimedStep(commit.subject)) return;
    // The commit that brought in the state that was committed when this step was taken.
    const before = ours.slice(0, i);
    const judged = before.findLast((c, j) => j === 0 || c.state !== before[j - 1]?.state);
    if (!judged) return;
    const live = samples.find((s) => s.at >= judged.time && s.state === judged.state);
    const liveAt = live?.at ?? Number.POSITIVE_INFINITY;
    steps.push({ step: commit.subject, liveAt, judgedAt: commit.time, liveFor: commit.time - liveAt });
  });
  return steps;
}
