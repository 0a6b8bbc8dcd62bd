// `npm run demo`: a whole canary release of examples/podinfo on an embedded default — a local git server,
// a local Kubernetes control plane (built once from Go modules and cached), a local Prometheus scraping a
// stand-in for the canary pods' metrics, the real reconciler — printing each step as it happens and ending
// with the release's `git log`. Time is simulated: each analysis interval passes at once, so the release
// takes seconds instead of minutes (the metrics are real, over the last minute of real time).
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { AddressPolicy } from '../src/analysis/address-policy.js';
import { runAnalysis } from '../src/analysis/run-analysis.js';
import { openRepository } from '../src/git/repository.js';
import { Cluster } from '../src/kube/cluster.js';
import { Reconciler, type ReconcileSummary } from '../src/reconcile/reconciler.js';
import { ensureControlPlaneBinaries } from '../test/support/control-plane-binaries.js';
import { kubeConfigFor, startControlPlane } from '../test/support/control-plane.js';
import { createBareRepository, startGitServer } from '../test/support/git-server.js';
import { HumanClone } from '../test/support/human-clone.js';
import { ensurePrometheusBinary, startPrometheus } from '../test/support/prometheus.js';
import { CanaryTraffic } from '../test/support/canary-traffic.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  [setup] ${line}\n`);

async function main(): Promise<void> {
  say('gitcanary demo: a canary release of examples/podinfo, every step a commit\n');
  const stops: (() => Promise<void>)[] = [];
  try {
    const [binaries, prometheusBinary] = await Promise.all([
      ensureControlPlaneBinaries(progress),
      ensurePrometheusBinary(progress),
    ]);
    const [controlPlane, gitServer, prometheus] = await Promise.all([
      startControlPlane(binaries, progress),
      startGitServer(),
      startPrometheus(prometheusBinary),
    ]);
    stops.push(
      () => controlPlane.stop(),
      () => gitServer.stop(),
      () => prometheus.stop(),
    );
    say(`kube-apiserver ${controlPlane.server}   git server ${gitServer.url}   prometheus ${prometheus.url}`);
    const pods = await CanaryTraffic.start(prometheus, { namespace: 'demo', app: 'podinfo-green' });
    stops.push(() => pods.stop());

    const kc = kubeConfigFor(controlPlane);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'demo' } } });
    const url = await createBareRepository(gitServer, 'deploy');
    const person = await HumanClone.of(gitServer, 'deploy');
    stops.push(() => person.dispose());
    const example = (file: string) => readFile(join('examples/podinfo', file), 'utf8');
    const service = await example('service.yaml');
    await person.commitAndPush(
      { 'podinfo/service.yaml': service, 'podinfo/canary.yaml': await example('canary.yaml') },
      'add podinfo',
    );
    say(`repository ${url}: podinfo/service.yaml (selector app: podinfo-blue) and podinfo/canary.yaml\n`);

    const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-demo-'));
    stops.push(() => rm(workdir, { recursive: true, force: true }));
    const repo = await openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: gitServer.username, password: gitServer.password },
    });
    const cluster = new Cluster(kc);
    const clock = { now: new Date() };
    const reconciler = new Reconciler({
      repo,
      cluster,
      applies: true,
      root: '',
      defaultNamespace: 'default',
      author: { name: 'gitcanary', email: 'gitcanary@localhost' },
      clock: () => clock.now,
      logger: pino({ level: 'warn' }),
      analyze: ({ resolved, needs, state, revision }) =>
        runAnalysis({
          ...resolved,
          needs,
          phase: state.phase,
          revision,
          metricsServer: prometheus.url,
          addressPolicy: new AddressPolicy(),
        }),
    });
    const step = async (label: string) => {
      const summary = await reconciler.reconcileOnce();
      report(label, summary, await person.log('%s%x1f%(trailers:key=Analysis,valueonly,separator=; )'));
      return summary;
    };

    await step('first reconcile');
    say('\n$ git commit -m "release podinfo green"   # the pull request: selector app: podinfo-green');
    await person.commitAndPush(
      { 'podinfo/service.yaml': service.replace('app: podinfo-blue', 'app: podinfo-green') },
      'release podinfo green',
    );
    let phase = (await step('reconcile after the merge')).canaries[0]?.phase;
    for (let i = 1; i <= 20 && phase !== 'Succeeded' && phase !== 'Failed'; i += 1) {
      clock.now = new Date(clock.now.getTime() + 60_000);
      phase = (await step(`one interval later (+${i}m)`)).canaries[0]?.phase;
    }

    say('\n$ git log --format="%h %s" (newest first)');
    for (const line of await person.log('%h %s')) say(`  ${line}`);
    say(
      `\nThe release ended ${phase}. Kubernetes requests: ${cluster.stats.reads} reads, ${cluster.stats.writes} writes.`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

let shown = 0;
function report(label: string, summary: ReconcileSummary, subjects: string[]): void {
  const c = summary.canaries[0];
  const state = c?.error ? `error: ${c.error}` : `${c?.phase}, canary weight ${c?.weight}%`;
  say(`\n${label}: ${state}`);
  const fresh = subjects.length - shown;
  for (const line of subjects.slice(0, Math.max(fresh, 0)).reverse()) {
    if (!line.startsWith('podinfo:')) continue;
    const [subject, checks] = line.split('\x1f');
    say(`  commit  ${subject}${checks ? `   [${checks}]` : ''}`);
  }
  shown = subjects.length;
  const { created, configured } = summary.changes;
  for (const name of created) say(`  created    ${name}`);
  for (const name of configured) say(`  configured ${name}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
