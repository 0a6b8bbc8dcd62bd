// A reconciler process of its own, for the memory measurement (bundled and run by bench/memory.ts): wired
// like `gitcanary run` (a local store, the live cache, the Reconciler) on a fixed clock, it starts as after
// a restart (fresh store, cluster in sync), reads the whole repository, polls a few times, and prints its
// peak and steady RSS as JSON. With `--idle` it loads the same code and does nothing: the floor that Node
// and the libraries cost before any repository is held.
//
// With `--serve` it is the no-op poll row's gitcanary (bench/scenarios.ts), spoken to in JSON lines: after
// the first pass it prints {"type":"ready"}; each stdin line `poll` runs one pass and prints
// {"type":"polled", …} (ServedPoll); `exit` ends it. A poll of a few tens of ms is timed here, in a process
// that holds only gitcanary, as the image runs it: in the benchmark's own process (500+ MiB at 5,000
// Canaries, the repositories and the peers' state) its garbage collections land in the poll.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { openRepository } from '../src/git/repository.js';
import { Cluster, loadKubeConfig } from '../src/kube/cluster.js';
import { LiveCache } from '../src/kube/live-cache.js';
import { reuseConnections } from '../src/kube/reuse-connections.js';
import { createReconciler } from '../src/reconcile/create-reconciler.js';
import type { Reconciler } from '../src/reconcile/reconciler.js';
import { statusKiB, timed } from './measure.js';

export interface ProcessMemory {
  /**
   * Peak resident set size of this process: VmHWM, which the exec resets. getrusage's maxrss is not: it keeps
   * the peak of the benchmark process that forked it (126 MiB at 5,000 Canaries, before this one read anything).
   */
  peakRssMiB: number;
  /** Resident set size after the last poll. */
  holdRssMiB: number;
  heapUsedMiB: number;
  /** The JS heap V8 has reserved (used + free space it keeps). */
  heapTotalMiB: number;
  /** Memory outside the JS heap: Buffers (git packs and objects) and other native allocations. */
  externalMiB: number;
  /** Of `external`: Buffers and ArrayBuffers. */
  arrayBuffersMiB: number;
  passMs: number[];
}

export type ServedMessage = { type: 'ready'; coldMs: number } | ({ type: 'polled' } & ServedPoll);

export interface ServedPoll {
  ms: number;
  /** The longest event-loop block during the pass (measure.ts `timed`). */
  loopBlockMs: number;
  gitRequests: number;
  /** Reads the Cluster sent (its own counter). */
  clusterReads: number;
  commits: number;
}

const mib = (bytes: number) => bytes / 1024 / 1024;

function report(passMs: number[]): ProcessMemory {
  const usage = process.memoryUsage();
  return {
    peakRssMiB:
      (statusKiB(readFileSync('/proc/self/status', 'utf8'), 'VmHWM') ?? process.resourceUsage().maxRSS) /
      1024,
    holdRssMiB: mib(usage.rss),
    heapUsedMiB: mib(usage.heapUsed),
    heapTotalMiB: mib(usage.heapTotal),
    externalMiB: mib(usage.external),
    arrayBuffersMiB: mib(usage.arrayBuffers),
    passMs,
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--idle')) {
    await delay(500);
    process.stdout.write(`${JSON.stringify(report([]))}\n`);
    return;
  }
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-bench-process-'));
  // One configuration for the live cache and the Cluster, so they share connections, as in reconcilerFromFlags.
  const kubeConfig = reuseConnections(loadKubeConfig(env('BENCH_KUBECONFIG')));
  const namespaces = env('BENCH_NAMESPACES').split(',');
  const live =
    process.env.BENCH_LIVE_CACHE === 'false' ? undefined : await LiveCache.start({ kubeConfig, namespaces });
  try {
    const repo = await openRepository({
      url: env('BENCH_REPO_URL'),
      branch: 'main',
      dir: workdir,
      auth: { username: env('BENCH_GIT_USERNAME'), password: env('BENCH_GIT_PASSWORD') },
    });
    const now = new Date(env('BENCH_NOW'));
    const cluster = new Cluster(kubeConfig, live ? { live } : {});
    const reconciler = createReconciler({
      repo,
      cluster,
      namespaces,
      clock: () => now,
    });
    if (process.argv.includes('--serve')) {
      await serve(
        reconciler,
        () => repo.stats.httpRequests,
        () => cluster.stats.reads,
      );
      return;
    }
    const passMs: number[] = [];
    const polls = Number(process.env.BENCH_POLLS ?? 5);
    for (let i = 0; i <= polls; i += 1) {
      const start = performance.now();
      const summary = await reconciler.reconcileOnce();
      passMs.push(performance.now() - start);
      if (summary.commits.length > 0) throw new Error('the memory run is meant to change nothing in git');
      await delay(200);
    }
    // A daemon polls every few seconds and is otherwise idle; V8's memory reducer shrinks the heap then.
    await delay(Number(process.env.BENCH_SETTLE_MS ?? 0));
    const memory = report(passMs);
    // For looking into what is held: BENCH_HEAP_SNAPSHOT=<file> writes a heap snapshot after the polls.
    if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
    process.stdout.write(`${JSON.stringify(memory)}\n`);
  } finally {
    live?.stop();
    await rm(workdir, { recursive: true, force: true });
  }
}

async function serve(
  reconciler: Reconciler,
  gitRequests: () => number,
  clusterReads: () => number,
): Promise<void> {
  const print = (message: ServedMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
  const cold = await timed(() => reconciler.reconcileOnce());
  print({ type: 'ready', coldMs: cold.ms });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'exit') break;
    if (line !== 'poll') throw new Error(`unknown request ${JSON.stringify(line)}`);
    const [git, reads] = [gitRequests(), clusterReads()];
    const { ms, loopBlockMs, value } = await timed(() => reconciler.reconcileOnce());
    print({
      type: 'polled',
      ms,
      loopBlockMs,
      gitRequests: gitRequests() - git,
      clusterReads: clusterReads() - reads,
      commits: value.commits.length,
    });
  }
}

await main();
