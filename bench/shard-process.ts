// One shard of the shard-contention scenario (bench/shard-contention.ts), in a process of its own as
// `gitcanary run --shard <key>` is: a local store, the live cache, the Reconciler with its shard, on a clock
// the benchmark sets. It logs each push the server accepted (when, and which commits it carried), so the
// benchmark can time every step from its due moment to its commit being on the remote branch.
//
// Protocol (JSON lines): on start it syncs cold at BENCH_NOW and prints {"type":"ready"}. Each stdin line
// {"now": iso} sets the clock and runs passes back to back until one commits nothing, as a daemon whose
// timers all fire at that moment would, then prints {"type":"settled", …} (ShardRound). `exit` ends it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { PushConflictError } from '../src/git/errors.js';
import { openRepository, type Repository } from '../src/git/repository.js';
import { Cluster, loadKubeConfig } from '../src/kube/cluster.js';
import { LiveCache } from '../src/kube/live-cache.js';
import { reuseConnections } from '../src/kube/reuse-connections.js';
import type { ReconcileSummary } from '../src/reconcile/outcomes.js';
import { createReconciler } from '../src/reconcile/create-reconciler.js';

/** A push the server accepted: wall-clock time (Date.now()) and the commits it brought to the branch. */
export interface AcceptedPush {
  at: number;
  commits: string[];
}

export interface ShardReady {
  type: 'ready';
  coldMs: number;
  created: number;
  commits: number;
  errors: number;
}

/** What one shard did between a clock change and the first pass after it that committed nothing. */
export interface ShardRound {
  type: 'settled';
  pushes: AcceptedPush[];
  /** Pushes the server refused because another writer had moved the branch. */
  rejections: number;
  /** Passes that gave up after pushWithRetry's last attempt (their steps wait for the next pass). */
  exhausted: number;
  passes: number;
  /** Canary or manifest errors reported by the passes, and passes that failed for another reason. */
  errors: string[];
}

export type ShardMessage = ShardReady | ShardRound;

// A daemon that failed a pass tries again at its next poll; a short one here, so the round ends soon.
const retryPassMs = 1_000;
const maxPasses = 20;

const print = (message: ShardMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

const problemsOf = (summary: ReconcileSummary) => [
  ...summary.errors,
  ...summary.canaries.flatMap((c) => (c.error ? [`${c.canary}: ${c.error}`] : [])),
];

async function main(): Promise<void> {
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-bench-shard-'));
  const kubeConfig = reuseConnections(loadKubeConfig(env('BENCH_KUBECONFIG')));
  const namespaces = env('BENCH_NAMESPACES').split(',');
  const live = await LiveCache.start({ kubeConfig, namespaces });
  // Absent: no --shard, every Canary.
  const shard = process.env.BENCH_SHARD;
  let round: ShardRound = emptyRound();
  try {
    const opened = await openRepository({
      url: env('BENCH_REPO_URL'),
      branch: 'main',
      dir: workdir,
      auth: { username: env('BENCH_GIT_USERNAME'), password: env('BENCH_GIT_PASSWORD') },
    });
    // The commits built since the last push: what the next accepted push brings to the branch.
    let built: string[] = [];
    const repo: Repository = {
      ...opened,
      commit: async (input) => {
        const oid = await opened.commit(input);
        built.push(oid);
        return oid;
      },
      push: async (oid) => {
        try {
          await opened.push(oid);
          round.pushes.push({ at: Date.now(), commits: built });
        } catch (err) {
          if (err instanceof PushConflictError) round.rejections += 1;
          throw err;
        } finally {
          built = [];
        }
      },
    };
    const clock = { now: new Date(env('BENCH_NOW')) };
    const reconciler = createReconciler({
      repo,
      cluster: new Cluster(kubeConfig, { live }),
      namespaces,
      ...(shard === undefined ? {} : { shard }),
      clock: () => clock.now,
      logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
    });

    const coldStart = performance.now();
    const cold = await reconciler.reconcileOnce();
    print({
      type: 'ready',
      coldMs: performance.now() - coldStart,
      created: cold.changes.created.length,
      commits: cold.commits.length,
      errors: problemsOf(cold).length,
    });

    for await (const line of createInterface({ input: process.stdin })) {
      if (line === 'exit') break;
      clock.now = new Date((JSON.parse(line) as { now: string }).now);
      round = emptyRound();
      for (let pass = 0; pass < maxPasses; pass += 1) {
        round.passes += 1;
        try {
          const summary = await reconciler.reconcileOnce();
          round.errors.push(...problemsOf(summary));
          if (summary.commits.length === 0) break;
        } catch (err) {
          if (err instanceof PushConflictError) round.exhausted += 1;
          else round.errors.push(String(err));
          await delay(retryPassMs);
        }
      }
      print(round);
    }
  } finally {
    live.stop();
    await rm(workdir, { recursive: true, force: true });
  }
}

function emptyRound(): ShardRound {
  return { type: 'settled', pushes: [], rejections: 0, exhausted: 0, passes: 0, errors: [] };
}

await main();
