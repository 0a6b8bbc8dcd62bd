// gitcanary as the benchmark runs it: the real Reconciler on a fresh local store, a Cluster that reads
// through the watch-backed live cache, and a clock the benchmark sets. The repository is wrapped only to
// observe it: when the plan was done (the first commit starts) and how many blobs were read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { openRepository, type Repository } from '../src/git/repository.js';
import { Cluster } from '../src/kube/cluster.js';
import { LiveCache } from '../src/kube/live-cache.js';
import type { Reconciler } from '../src/reconcile/reconciler.js';
import { createReconciler } from '../src/reconcile/create-reconciler.js';
import type { GitServerAccess } from '../harness/git-server.js';

export interface BenchReconciler {
  reconciler: Reconciler;
  repo: Repository;
  cluster: Cluster;
  live: LiveCache | undefined;
  clock: { now: Date };
  /** performance.now() of the first commit since the last `resetProbes`: the plan was complete. */
  plannedAt: number | undefined;
  blobReads: number;
  resetProbes(): void;
  dispose(): Promise<void>;
}

export interface BenchReconcilerOptions {
  url: string;
  server: GitServerAccess;
  kubeConfig: KubeConfig;
  now: Date;
  /** Read the live objects through the watch-backed cache (the default), or GET each one. */
  liveCache: boolean;
  /** The namespaces the live cache watches (gitcanary's --namespaces). */
  namespaces: readonly string[];
}

export async function createBenchReconciler(options: BenchReconcilerOptions): Promise<BenchReconciler> {
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-bench-workdir-'));
  const opened = await openRepository({
    url: options.url,
    branch: 'main',
    dir: workdir,
    auth: { username: options.server.username, password: options.server.password },
  });
  // A configuration of its own, so that this reconciler opens its own connections, as a new process would.
  const kubeConfig = Object.assign(new KubeConfig(), options.kubeConfig);
  const live = options.liveCache
    ? await LiveCache.start({ kubeConfig, namespaces: options.namespaces })
    : undefined;
  const cluster = new Cluster(kubeConfig, live ? { live } : {});
  const clock = { now: options.now };
  const bench: BenchReconciler = {
    reconciler: undefined as unknown as Reconciler,
    repo: opened,
    cluster,
    live,
    clock,
    plannedAt: undefined,
    blobReads: 0,
    resetProbes() {
      bench.plannedAt = undefined;
      bench.blobReads = 0;
    },
    async dispose() {
      live?.stop();
      await rm(workdir, { recursive: true, force: true });
    },
  };
  const repo: Repository = {
    ...opened,
    readBlob: (oid) => {
      bench.blobReads += 1;
      return opened.readBlob(oid);
    },
    commit: (input) => {
      bench.plannedAt ??= performance.now();
      return opened.commit(input);
    },
  };
  bench.repo = repo;
  bench.reconciler = createReconciler({
    repo,
    cluster,
    namespaces: options.namespaces,
    clock: () => clock.now,
  });
  return bench;
}
