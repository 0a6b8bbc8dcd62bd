// Starts the real components the benchmark measures against, with the integration tests' harness: a
// kube-apiserver + etcd (binaries cached in ~/.cache/gitcanary) and the `git http-backend` server with
// Basic auth (in a process of its own: harness/git-server-process.ts). Both are stopped when the benchmark ends, also on Ctrl-C.
import type { KubeConfig } from '@kubernetes/client-node';
import { ensureControlPlaneBinaries } from '../harness/control-plane-binaries.js';
import { kubeConfigFor, startControlPlane, type ControlPlane } from '../harness/control-plane.js';
import type { GitServer } from '../harness/git-server.js';
import { startGitServerProcess } from '../harness/git-server-process.js';
import { stopPeerRunner } from './peer-runner.js';

export interface BenchComponents {
  controlPlane: ControlPlane;
  gitServer: GitServer;
  kubeConfig: KubeConfig;
  stop(): Promise<void>;
}

export async function startBenchComponents(progress: (line: string) => void): Promise<BenchComponents> {
  const binaries = await ensureControlPlaneBinaries(progress);
  const [controlPlane, gitServer] = await Promise.all([
    startControlPlane(binaries, progress),
    startGitServerProcess(),
  ]);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= Promise.allSettled([controlPlane.stop(), gitServer.stop(), stopPeerRunner()]).then(
      () => undefined,
    ));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
  return { controlPlane, gitServer, kubeConfig: kubeConfigFor(controlPlane), stop };
}
