// Global setup of the integration suite: obtains the binaries (cached after the first run), starts the
// control plane, the git server and Prometheus side by side, and stops them all when the suite ends,
// pass or fail. A component that cannot start fails the suite with its reason; nothing is skipped.
import type { TestProject } from 'vitest/node';
import { ensureControlPlaneBinaries } from '../../harness/control-plane-binaries.js';
import { startControlPlane } from '../../harness/control-plane.js';
import { startGitServer } from '../../harness/git-server.js';
import { ensurePrometheusBinary, startPrometheus } from '../../harness/prometheus.js';
import { ensureKustomizeBinary } from '../../harness/kustomize-binary.js';
import { crdSets } from '../../harness/test-crds.js';
import { ensureTraefikBinary } from '../../harness/traefik-binary.js';
import './provided-context.js';

const progress = (line: string) => process.stderr.write(`[test components] ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const teardown = async () => {
    const results = await Promise.allSettled(stops.map((stop) => stop()));
    for (const r of results) if (r.status === 'rejected') progress(`stop failed: ${String(r.reason)}`);
  };

  const prepareStart = performance.now();
  const [binaries, prometheusBinary, traefik, kustomize] = await Promise.all([
    ensureControlPlaneBinaries(progress),
    ensurePrometheusBinary(progress),
    ensureTraefikBinary(progress),
    ensureKustomizeBinary(progress),
  ]);
  const started = performance.now();
  const track = async <T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T> => {
    const component = await starting;
    stops.push(() => component.stop());
    return component;
  };
  const starts = [
    track(startControlPlane(binaries, progress, { crdSets })),
    track(startGitServer()),
    track(startPrometheus(prometheusBinary)),
  ] as const;
  // Let every start finish or fail before tearing down, so nothing that did start is left running.
  const failures = (await Promise.allSettled(starts)).filter((r) => r.status === 'rejected');
  if (failures.length > 0) {
    await teardown();
    const reasons = failures.map((f) => f.reason as unknown);
    throw new AggregateError(reasons, `test components failed to start:\n${reasons.map(String).join('\n')}`);
  }
  const [controlPlane, gitServer, prometheus] = await Promise.all(starts);

  project.provide('controlPlane', {
    server: controlPlane.server,
    token: controlPlane.token,
    caCert: controlPlane.caCert,
  });
  project.provide('gitServer', {
    url: gitServer.url,
    username: gitServer.username,
    password: gitServer.password,
    root: gitServer.root,
  });
  project.provide('prometheus', { url: prometheus.url, targetsDir: prometheus.targetsDir });
  project.provide('traefikBinary', traefik.path);
  project.provide('kustomizeBinary', kustomize.path);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  progress(
    `ready: binaries (control plane ${binaries.source}, traefik ${traefik.source}, ` +
      `kustomize ${kustomize.source}) in ` +
      `${seconds(started - prepareStart)} s, ` +
      `kube-apiserver ${controlPlane.server}, git ${gitServer.url}, prometheus ${prometheus.url} ` +
      `started in ${seconds(performance.now() - started)} s`,
  );
  return teardown;
}
