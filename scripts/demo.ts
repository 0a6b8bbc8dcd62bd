// `npm run demo`: a whole canary release of examples/podinfo on an embedded default — a local git server,
// a local Kubernetes control plane (built once from Go modules and cached), a local Prometheus scraping a
// stand-in for the canary pods' metrics, the real reconciler — printing each step as it happens and ending
// with the release's `git log`. Time is simulated: each analysis interval passes at once, so the release
// takes seconds instead of minutes (the metrics are real, over the last minute of real time).
//
// `npm run demo -- --router traefik`: the same release with provider traefik, and a real Traefik in front of
// two loopback backends (blue, green); at each committed step 400 requests go through it and the demo prints
// the share that reached green beside the committed weights (demo-data-plane.ts).
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { AddressPolicy } from '../src/analysis/address-policy.js';
import { runAnalysis } from '../src/analysis/run-analysis.js';
import { openRepository } from '../src/git/repository.js';
import { Cluster } from '../src/kube/cluster.js';
import type { ReconcileSummary } from '../src/reconcile/outcomes.js';
import { createReconciler } from '../src/reconcile/create-reconciler.js';
import { ensureControlPlaneBinaries } from '../harness/control-plane-binaries.js';
import { kubeConfigFor, startControlPlane } from '../harness/control-plane.js';
import { createBareRepository, startGitServer } from '../harness/git-server.js';
import { HumanClone } from '../harness/human-clone.js';
import { ensurePrometheusBinary, startPrometheus } from '../harness/prometheus.js';
import { CanaryTraffic } from '../harness/canary-traffic.js';
import { crdSets } from '../harness/test-crds.js';
import { ensureTraefikBinary } from '../harness/traefik-binary.js';
import { DemoDataPlane } from './demo-data-plane.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  [setup] ${line}\n`);

/** What the demo's Traefik routes to the split (the Host header of its requests). */
const host = 'podinfo.demo';
const routers = ['gatewayapi', 'traefik'] as const;
type DemoRouter = (typeof routers)[number];

/** `--router traefik`, or the example's own gatewayapi; anything else is a usage error (exit 2). */
function routerOf(argv: string[]): DemoRouter {
  const usage = (why: string): never => {
    process.stderr.write(`demo: ${why}\nusage: npm run demo [-- --router ${routers.join('|')}]\n`);
    process.exit(2);
  };
  let router: string;
  try {
    router = parseArgs({ args: argv, options: { router: { type: 'string' } } }).values.router ?? 'gatewayapi';
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!(routers as readonly string[]).includes(router))
    return usage(`--router ${router} is not one of ${routers.join(', ')}`);
  return router as DemoRouter;
}

/** The example's Canary with provider traefik: a TraefikService instead of an HTTPRoute on a Gateway. */
function withTraefik(canary: string): string {
  const changed = canary
    .replace('provider: gatewayapi', 'provider: traefik')
    .replace(/\n {4}gatewayRefs:\n(?: {6}.*\n)+/, '\n');
  if (!changed.includes('provider: traefik') || changed.includes('gatewayRefs'))
    throw new Error(
      'examples/podinfo/canary.yaml no longer has the provider and gatewayRefs the demo rewrites',
    );
  return changed;
}

async function main(router: DemoRouter): Promise<void> {
  say('gitcanary demo: a canary release of examples/podinfo, every step a commit\n');
  const withTraffic = router === 'traefik';
  const stops: (() => Promise<void>)[] = [];
  try {
    const [binaries, prometheusBinary, traefikBinary] = await Promise.all([
      ensureControlPlaneBinaries(progress),
      ensurePrometheusBinary(progress),
      withTraffic ? ensureTraefikBinary(progress) : undefined,
    ]);
    const crds = crdSets.filter(
      (set) => set.name === 'gateway-api' || (withTraffic && set.name === 'traefik'),
    );
    const [controlPlane, gitServer, prometheus] = await Promise.all([
      startControlPlane(binaries, progress, { crdSets: crds }),
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
    const canary = withTraffic ? withTraefik(await example('canary.yaml')) : await example('canary.yaml');
    await person.commitAndPush(
      { 'podinfo/service.yaml': service, 'podinfo/canary.yaml': canary },
      'add podinfo',
    );
    say(`repository ${url}: podinfo/service.yaml (selector app: podinfo-blue) and podinfo/canary.yaml`);
    if (withTraffic) say("  (provider: traefik instead of the example's gatewayapi)");
    say();

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
    const reconciler = createReconciler({
      repo,
      cluster,
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
    let dataPlane: DemoDataPlane | undefined;
    const step = async (label: string) => {
      const summary = await reconciler.reconcileOnce();
      report(label, summary, await person.log('%s%x1f%(trailers:key=Analysis,valueonly,separator=; )'));
      const weight = summary.canaries[0]?.weight;
      if (dataPlane && weight !== undefined) say(`  traffic    ${await dataPlane.measure(weight)}`);
      return summary;
    };

    if (traefikBinary) {
      dataPlane = await DemoDataPlane.start(traefikBinary.path, {
        kc,
        controlPlane,
        namespace: 'demo',
        target: 'podinfo',
        host,
      });
      stops.push(() => dataPlane?.stop() ?? Promise.resolve());
      say(`traefik ${dataPlane.url} (Host: ${host}) → IngressRoute podinfo → TraefikService podinfo,`);
      say('  which gitcanary writes; backends blue and green answer on loopback');
    }
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

main(routerOf(process.argv.slice(2))).catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
