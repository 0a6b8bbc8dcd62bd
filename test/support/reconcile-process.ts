// Reconcile passes alone in a process of their own, as the daemon runs them, so that a test can measure the
// RSS hostile repositories cost it. Reads a kubeconfig (YAML) and git credentials from the first stdin line
// as JSON; then, for each line `{"url": …, "ns": …}`, runs one pass of a new Reconciler on that repository
// and prints `{"summary": …, "rss": {"start": …, "peak": …}}` as one JSON line (RSS sampled every 5 ms).
// Run with `node --import tsx`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { openRepository } from '../../src/git/repository.js';
import { Cluster } from '../../src/kube/cluster.js';
import { createReconciler } from '../../src/reconcile/create-reconciler.js';

interface Setup {
  kubeconfig: string;
  username: string;
  password: string;
}

let setup: Setup | undefined;
let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 5);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  if (!setup) {
    setup = JSON.parse(line) as Setup;
    process.stdout.write(`${JSON.stringify({ ready: true, rss: process.memoryUsage.rss() })}\n`);
    continue;
  }
  const { url, ns } = JSON.parse(line) as { url: string; ns: string };
  const kc = new KubeConfig();
  kc.loadFromString(setup.kubeconfig);
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-workdir-'));
  const start = process.memoryUsage.rss();
  peak = start;
  try {
    const repo = await openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: setup.username, password: setup.password },
    });
    const reconciler = createReconciler({
      repo,
      cluster: new Cluster(kc),
      defaultNamespace: ns,
      clock: () => new Date('2026-11-26T10:00:00Z'),
    });
    const summary = await reconciler.reconcileOnce();
    process.stdout.write(`${JSON.stringify({ summary, rss: { start, peak } })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: String(error), rss: { start, peak } })}\n`);
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}
clearInterval(sampler);
