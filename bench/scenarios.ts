// The four in-process measurements, each with its peer measured in the same run and in alternation, so a
// machine that gets busier (other test suites) slows both sides alike.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../harness/control-plane.js';
import type { GitServerAccess } from '../harness/git-server.js';
import { countsBetween, readVerbs, requestCounts, sumOf, writeVerbs } from './apiserver-requests.js';
import { clearGeneratedObjects, createNamespaces, kubectlApply } from './bench-cluster.js';
import { createBenchReconciler, type BenchReconciler } from './bench-reconciler.js';
import { analysisIntervalSeconds, objectsInCopy, type BenchRepository } from './generate-repository.js';
import { elapsedMs, medians, repeat, timed, type Repeat } from './measure.js';
import { JsonLinesChild } from './json-lines-child.js';
import { reconcilerProcessEntry, reconcilerProcessEnv } from './memory.js';
import type { NativeGit } from './native-git.js';
import type { ServedMessage } from './reconciler-process.js';

export interface SizeContext {
  gen: BenchRepository;
  url: string;
  /** A copy of the repository for the peer's writes, so they do not move gitcanary's branch. */
  peerUrl: string;
  server: GitServerAccess;
  controlPlane: ControlPlane;
  kubeConfig: KubeConfig;
  git: NativeGit;
  /** A scratch directory for the peer's files. */
  work: string;
  liveCache: boolean;
  log: (line: string) => void;
}

/** The Kubernetes side of one measured operation, as the API server counted it. */
export interface KubeRequests {
  reads: number;
  writes: number;
  lists: number;
  gets: number;
}

/** Runs `fn`, timing it alone, and counts the requests the API server served meanwhile. */
async function kubeRequests<T>(
  ctx: SizeContext,
  fn: () => Promise<T>,
): Promise<{ value: T; ms: number; loopBlockMs: number } & KubeRequests> {
  const before = await requestCounts(ctx.controlPlane);
  const { value, ms, loopBlockMs } = await timed(fn);
  const counts = countsBetween(before, await requestCounts(ctx.controlPlane));
  return {
    value,
    ms,
    loopBlockMs,
    reads: sumOf(counts, readVerbs),
    writes: sumOf(counts, writeVerbs),
    lists: counts.LIST ?? 0,
    gets: counts.GET ?? 0,
  };
}

// A cold sync of 5,000 Canaries takes a minute or two on a busy machine; this is for one that hangs.
const processTimeoutMs = 20 * 60_000;

const at = (ctx: SizeContext, seconds: number) => new Date(ctx.gen.epoch.getTime() + seconds * 1000);

export interface ColdSyncResult {
  gitcanaryMs: number;
  /** The longest event-loop block during gitcanary's run (see Timed.loopBlockMs). */
  loopBlockMs: number;
  peerMs: number;
  peerCloneMs: number;
  peerApplyMs: number;
  kubeReads: number;
  kubeWrites: number;
  lists: number;
}

/**
 * Empty cluster, fresh clone: the whole repository read, every object applied. Peer: `git clone --depth 1`
 * and `kubectl apply --server-side` of the same objects, into a fresh copy of the namespaces each run (so
 * that no run waits for thousands of deletions). Returns the last gitcanary, warm, for what follows.
 */
export async function coldSync(
  ctx: SizeContext,
  times: Repeat,
): Promise<{ result: ColdSyncResult; bench: BenchReconciler }> {
  let bench: BenchReconciler | undefined;
  const clones = await mkdtemp(join(tmpdir(), 'gitcanary-bench-clone-'));
  const runs = await repeat(times, async (i) => {
    await bench?.dispose();
    bench = undefined;
    const copy = objectsInCopy(ctx.gen, `peer${i}`);
    const objectsFile = join(ctx.work, `objects-${ctx.gen.size}-peer${i}.json`);
    await writeFile(objectsFile, copy.objects);
    await createNamespaces(ctx.kubeConfig, copy.namespaces);
    const clone = await timed(() =>
      ctx.git.run(['clone', '--quiet', '--depth', '1', '--branch', 'main', ctx.url, join(clones, `c${i}`)]),
    );
    const apply = await timed(() => kubectlApply(ctx.controlPlane.kubeconfigPath, objectsFile));
    await rm(join(clones, `c${i}`), { recursive: true, force: true });

    // The first run finds the namespaces empty; the later ones empty them first.
    if (i > 0) await clearGeneratedObjects(ctx.kubeConfig, ctx.gen.namespaces);
    const measured = await kubeRequests(ctx, async () => {
      // Starting the live cache (its LIST) is part of a cold start.
      const started = await createBenchReconciler({
        url: ctx.url,
        server: ctx.server,
        kubeConfig: ctx.kubeConfig,
        now: at(ctx, analysisIntervalSeconds / 2),
        liveCache: ctx.liveCache,
        namespaces: ctx.gen.namespaces,
      });
      bench = started;
      return started.reconciler.reconcileOnce();
    });
    const gitcanaryMs = measured.ms;
    const summary = measured.value;
    const problems = summary.canaries.filter((c) => c.error).length + summary.errors.length;
    if (summary.changes.created.length !== ctx.gen.objectCount || summary.commits.length > 0 || problems) {
      throw new Error(
        `cold sync created ${summary.changes.created.length} of ${ctx.gen.objectCount} objects, ` +
          `${summary.commits.length} commits, ${problems} errors`,
      );
    }
    ctx.log(`cold sync ${i}: gitcanary ${ms(gitcanaryMs)}, clone ${ms(clone.ms)} + kubectl ${ms(apply.ms)}`);
    return {
      gitcanaryMs,
      loopBlockMs: measured.loopBlockMs,
      peerMs: clone.ms + apply.ms,
      peerCloneMs: clone.ms,
      peerApplyMs: apply.ms,
      kubeReads: measured.reads,
      kubeWrites: measured.writes,
      lists: measured.lists,
    };
  });
  await rm(clones, { recursive: true, force: true });
  if (!bench) throw new Error('unreachable: cold sync ran at least once');
  return { result: medians(runs), bench };
}

export interface NoopPollResult {
  gitcanaryMs: number;
  /** The longest event-loop block during gitcanary's run (see Timed.loopBlockMs). */
  loopBlockMs: number;
  peerMs: number;
  gitRequests: number;
  kubeReads: number;
  kubeWrites: number;
  lists: number;
  /** Reads the Cluster sent (its own counter), beside the API server's count above. */
  clusterReads: number;
}

/**
 * Nothing changed in git or in the cluster. Peer: `git ls-remote` of the branch. gitcanary is a process of
 * its own here (bench/reconciler-process.ts `--serve`, run as the image runs it), synced cold before the
 * first run: the poll is a few tens of ms, and in the benchmark's process the collections of its 500+ MiB
 * heap would be timed with it.
 */
export async function noopPoll(ctx: SizeContext, times: Repeat): Promise<NoopPollResult> {
  const child = await JsonLinesChild.start<ServedMessage>({
    entry: reconcilerProcessEntry,
    args: ['--serve'],
    env: reconcilerProcessEnv(ctx, at(ctx, analysisIntervalSeconds - 10)),
    logFile: join(ctx.work, `noop-${ctx.gen.size}.log`),
    name: 'reconciler process',
  });
  try {
    const ready = await child.expect('ready', processTimeoutMs);
    ctx.log(`no-op poll: its process synced cold in ${ms(ready.coldMs)}`);
    const runs = await repeat(times, async () => {
      const peer = await timed(() => ctx.git.run(['ls-remote', ctx.url, 'refs/heads/main']));
      const measured = await kubeRequests(ctx, async () => {
        child.send('poll');
        return child.expect('polled', processTimeoutMs);
      });
      const polled = measured.value;
      if (polled.commits > 0) throw new Error('a no-op poll committed');
      return {
        gitcanaryMs: polled.ms,
        loopBlockMs: polled.loopBlockMs,
        peerMs: peer.ms,
        gitRequests: polled.gitRequests,
        kubeReads: measured.reads,
        kubeWrites: measured.writes,
        lists: measured.lists,
        clusterReads: polled.clusterReads,
      };
    });
    return medians(runs);
  } finally {
    await child.stop();
  }
}

export interface ChangedPollResult {
  /** From the start of the poll until the plan is complete (the first commit starts). */
  detectAndPlanMs: number;
  /** The whole pass: also the commit, the push and the apply of the changed objects. */
  passMs: number;
  peerMs: number;
  gitRequests: number;
  blobReads: number;
}

/**
 * A person's commit changes one target Service (a label, which gitcanary copies to the primary and the
 * canary). Peer: `git fetch` + `git diff --name-only` in a clone that was up to date.
 */
export async function changedPoll(
  ctx: SizeContext,
  bench: BenchReconciler,
  times: Repeat,
): Promise<ChangedPollResult> {
  // Before the step app's analysis is due: the poll has the person's commit to plan, and nothing else.
  bench.clock.now = at(ctx, analysisIntervalSeconds - 10);
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-bench-person-'));
  const person = join(dir, 'person');
  const observer = join(dir, 'observer');
  await ctx.git.run(['clone', '--quiet', ctx.url, person]);
  await ctx.git.run(['clone', '--quiet', '--bare', ctx.url, observer]);
  const { serviceFile } = ctx.gen.changedApp;
  const syncObserver = async () => {
    await ctx.git.run(['fetch', '--quiet', 'origin', 'main'], observer);
    await ctx.git.run(['update-ref', 'refs/heads/main', 'FETCH_HEAD'], observer);
  };
  const runs = await repeat(times, async (i) => {
    await ctx.git.run(['pull', '--quiet', '--ff-only', 'origin', 'main'], person);
    const path = join(person, serviceFile);
    const text = await readFile(path, 'utf8');
    await writeFile(
      path,
      text.replace(/app\.kubernetes\.io\/version: v\d+/, `app.kubernetes.io/version: v${i + 2}`),
    );
    await ctx.git.run(['commit', '--quiet', '-am', `release label v${i + 2}`], person);
    await ctx.git.run(['push', '--quiet', 'origin', 'HEAD:main'], person);

    const peer = await timed(async () => {
      await ctx.git.run(['fetch', '--quiet', 'origin', 'main'], observer);
      return ctx.git.run(['diff', '--name-only', 'main', 'FETCH_HEAD'], observer);
    });
    if (!peer.value.includes(serviceFile)) throw new Error(`git diff did not list ${serviceFile}`);

    bench.resetProbes();
    const git = bench.repo.stats.httpRequests;
    const start = performance.now();
    const summary = await bench.reconciler.reconcileOnce();
    const passMs = elapsedMs(start);
    if (summary.commits.length !== 1 || bench.plannedAt === undefined) {
      throw new Error(`a changed Service gave ${summary.commits.length} commits, expected 1`);
    }
    await syncObserver();
    return {
      detectAndPlanMs: bench.plannedAt - start,
      passMs,
      peerMs: peer.ms,
      gitRequests: bench.repo.stats.httpRequests - git,
      blobReads: bench.blobReads,
    };
  });
  await rm(dir, { recursive: true, force: true });
  return medians(runs);
}

export interface StepResult {
  gitcanaryMs: number;
  /** The longest event-loop block during gitcanary's run (see Timed.loopBlockMs). */
  loopBlockMs: number;
  peerMs: number;
  /** The peer's `git push` alone: what the server's receive costs, beside the repository's size. */
  peerPushMs: number;
  gitRequests: number;
  kubeWrites: number;
}

/**
 * The step app's analysis interval is due: gitcanary commits the next weight, pushes and applies the route.
 * Peer: the same edit by hand in a clone of the peer repository, `git commit` + `git push`, and one
 * `kubectl apply --server-side` of a route of the same shape.
 */
export async function step(ctx: SizeContext, bench: BenchReconciler, times: Repeat): Promise<StepResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-bench-step-'));
  const clone = join(dir, 'clone');
  await ctx.git.run(['clone', '--quiet', ctx.peerUrl, clone]);
  const { stepApp } = ctx.gen;
  const stateFile = join(clone, stepApp.generatedFile);
  const routeFile = join(dir, 'route.json');
  let steps = 0;
  const runs = await repeat(times, async () => {
    steps += 1;
    const weight = steps * 5;
    const text = await readFile(stateFile, 'utf8');
    await writeFile(stateFile, text.replace(/canaryWeight: \d+/, `canaryWeight: ${weight}`));
    await writeFile(routeFile, JSON.stringify(peerRoute(stepApp.name, stepApp.namespace, weight)));
    let peerPushMs = 0;
    const peer = await timed(async () => {
      await ctx.git.run(
        ['commit', '--quiet', '-am', `${stepApp.name}: weight ${weight - 5} → ${weight}`],
        clone,
      );
      peerPushMs = (await timed(() => ctx.git.run(['push', '--quiet', 'origin', 'HEAD:main'], clone))).ms;
      await kubectlApply(ctx.controlPlane.kubeconfigPath, routeFile, 'bench-peer');
    });

    bench.clock.now = at(ctx, steps * (analysisIntervalSeconds + 1));
    const git = bench.repo.stats.httpRequests;
    const writes = bench.cluster.stats.writes;
    const measured = await timed(() => bench.reconciler.reconcileOnce());
    const outcome = measured.value.canaries.find((c) => c.canary === `${stepApp.namespace}/${stepApp.name}`);
    if (measured.value.commits.length !== 1 || outcome?.weight !== weight) {
      throw new Error(`step ${steps}: ${measured.value.commits.length} commits, weight ${outcome?.weight}`);
    }
    return {
      gitcanaryMs: measured.ms,
      loopBlockMs: measured.loopBlockMs,
      peerMs: peer.ms,
      peerPushMs,
      gitRequests: bench.repo.stats.httpRequests - git,
      kubeWrites: bench.cluster.stats.writes - writes,
    };
  });
  await rm(dir, { recursive: true, force: true });
  return medians(runs);
}

function peerRoute(name: string, namespace: string, weight: number) {
  const backend = (service: string, w: number) => ({ name: service, port: 9898, weight: w });
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `${name}-peer`, namespace },
    spec: {
      parentRefs: [{ name: 'public-gateway', namespace }],
      rules: [{ backendRefs: [backend(`${name}-primary`, 100 - weight), backend(`${name}-canary`, weight)] }],
    },
  };
}

export const ms = (value: number) => `${value < 100 ? value.toFixed(1) : Math.round(value)} ms`;
