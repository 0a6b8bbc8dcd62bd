// Releases through the nginx, skipper and traefik routers against the real API server (Ingress built in, the
// real Traefik CRDs): initialization, weight steps, promotion and a rollback, each step a commit whose route
// the API server accepts and reads back as meant; a quiet pass writes nothing (the route is stored as
// rendered), and a second manager applying the committed file without force meets no conflict, as Argo CD or
// Flux would. An nginx A/B run leaves no canary-by-header behind once promoted.
import { afterEach, describe, expect, it } from 'vitest';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import type { AnalysisReport } from '../../src/core/analysis-report.js';
import type { KubeObject } from '../../src/core/model.js';
import type { AnalysisRequest } from '../../src/reconcile/context.js';
import {
  clusterIpSpec,
  objects,
  releaseCleanup,
  selectors,
  service,
  setup,
  type Setup,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

const ingress = (ns: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: podinfo
  namespace: ${ns}
  annotations:
    kubernetes.io/ingress.class: nginx
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: podinfo-primary
                port: { number: 9898 }
`;

const canary = (ns: string, provider: string, analysis: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  provider: ${provider}
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo }
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 1
${analysis}
    metrics:
      - name: request-success-rate
        interval: 1m
        thresholdRange: { min: 99 }
`;
const weighted = '    stepWeight: 10\n    maxWeight: 20';

interface RouterCase {
  provider: string;
  route: { apiVersion: string; kind: string; name: string };
  /** The live route's routing, in a line. */
  routing(route: KubeObject): string;
  atRest: string;
  at10: string;
  at20: string;
}

const annotationsWith = (route: KubeObject, prefix: string) =>
  Object.entries(route.metadata.annotations ?? {})
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, value]) => `${key.slice(prefix.length)}=${value}`)
    .sort()
    .join(' ');
type Paths = { backend: { service: { name: string } } }[];
const ingressBackends = (route: KubeObject) =>
  (route.spec as { rules: { http: { paths: Paths } }[] }).rules
    .flatMap((rule) => rule.http.paths.map((p) => p.backend.service.name))
    .join(',');

const routers: RouterCase[] = [
  {
    provider: 'nginx',
    route: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo-canary' },
    routing: (r) => `${ingressBackends(r)} ${annotationsWith(r, 'nginx.ingress.kubernetes.io/')}`,
    atRest: 'podinfo-canary canary-weight=0 canary=true',
    at10: 'podinfo-canary canary-weight=10 canary=true',
    at20: 'podinfo-canary canary-weight=20 canary=true',
  },
  {
    provider: 'skipper',
    route: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo-canary' },
    routing: (r) => `${ingressBackends(r)} ${annotationsWith(r, 'zalando.org/')}`,
    atRest:
      'podinfo-primary,podinfo-canary backend-weights={"podinfo-canary":0,"podinfo-primary":100} skipper-predicate=False()',
    at10: 'podinfo-primary,podinfo-canary backend-weights={"podinfo-canary":10,"podinfo-primary":90} skipper-predicate=Weight(100)',
    at20: 'podinfo-primary,podinfo-canary backend-weights={"podinfo-canary":20,"podinfo-primary":80} skipper-predicate=Weight(100)',
  },
  {
    provider: 'traefik',
    route: { apiVersion: 'traefik.io/v1alpha1', kind: 'TraefikService', name: 'podinfo' },
    routing: (r) =>
      (
        r.spec as { weighted: { services: { name: string; port: number; weight: number }[] } }
      ).weighted.services
        .map((s) => `${s.name}:${s.port}=${s.weight}`)
        .join(','),
    atRest: 'podinfo-primary:9898=100',
    at10: 'podinfo-primary:9898=90,podinfo-canary:9898=10',
    at20: 'podinfo-primary:9898=80,podinfo-canary:9898=20',
  },
];

async function readRoute(s: Setup, ref: RouterCase['route']): Promise<KubeObject> {
  return (await objects.read({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: s.ns },
  })) as unknown as KubeObject;
}

/** The committed objects applied by another manager without force, as a GitOps tool applies the file. */
async function applyAsSecondManager(s: Setup): Promise<void> {
  const documents = loadAll(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')) as KubernetesObject[];
  for (const object of documents.filter((o) => o.kind !== 'CanaryState')) {
    await objects.patch(
      object,
      undefined,
      undefined,
      'kustomize-controller',
      false,
      PatchStrategy.ServerSideApply,
    );
  }
}

/** Checks pass until `failing.now` is set. */
function stubAnalysis(failing: { now: boolean }) {
  return ({ needs }: AnalysisRequest): Promise<AnalysisReport> =>
    Promise.resolve({
      checks: needs.metrics
        ? [{ name: 'request-success-rate', value: failing.now ? 50 : 100, min: 99, passed: !failing.now }]
        : [],
      gates: {},
    });
}

describe.each(routers)('a release through the $provider router', (router) => {
  it('initializes, steps, promotes and rolls back, each route accepted and read back as committed', async () => {
    const failing = { now: false };
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns, router.provider, weighted),
        'apps/podinfo/ingress.yaml': ingress(ns),
      }),
      { analyze: stubAnalysis(failing) },
    );
    const routing = async () => router.routing(await readRoute(s, router.route));

    // 1. Initialize: the route at rest; a second pass writes nothing; a second manager meets no conflict.
    expect((await s.reconcile(0)).canaries[0]).toMatchObject({ phase: 'Initialized', weight: 0 });
    expect(await routing()).toBe(router.atRest);
    const writes = s.cluster.stats.writes;
    const quiet = await s.reconcile(0.5);
    expect(quiet.commits).toEqual([]);
    expect(quiet.changes.unchanged).toHaveLength(3);
    expect(s.cluster.stats.writes).toBe(writes);
    await applyAsSecondManager(s);

    // 2. Release green: one weight step per interval.
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'green',
    );
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await routing()).toBe(router.at10);
    await applyAsSecondManager(s);
    await s.reconcile(3);
    expect(await routing()).toBe(router.at20);

    // 3. Promotion: green is the primary, the route at rest again.
    expect((await s.reconcile(4)).canaries[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
    expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-green']);
    expect(await routing()).toBe(router.atRest);
    await applyAsSecondManager(s);

    // 4. Release red, which fails its check at the first judged step: rolled back to green.
    await s.human.commitAndPush({ 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('red')) }, 'red');
    await s.reconcile(5);
    await s.reconcile(6);
    expect(await routing()).toBe(router.at10);
    failing.now = true;
    expect((await s.reconcile(7)).canaries[0]).toMatchObject({ phase: 'Failed', weight: 0 });
    expect(await routing()).toBe(router.atRest);
    expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-red']);
    await applyAsSecondManager(s);
    expect((await s.human.log()).slice(0, 3).map((l) => l.replace(/[0-9a-f]{12}/g, 'REV'))).toEqual([
      'podinfo: rolled back REV, weight 10 → 0',
      'podinfo: weight 0 → 10',
      'podinfo: new revision REV, analysis started',
    ]);
  });
});

describe('an A/B release through the nginx router', () => {
  it('routes the header and the cookie to the canary during the run, and removes them at promotion', async () => {
    const ab =
      '    iterations: 2\n    match:\n      - headers: { x-canary: { exact: insider } }\n      - headers: { cookie: { exact: canary } }';
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns, 'nginx', ab),
        'apps/podinfo/ingress.yaml': ingress(ns),
      }),
      { analyze: stubAnalysis({ now: false }) },
    );
    const annotations = async () =>
      annotationsWith(await readRoute(s, routers[0]!.route), 'nginx.ingress.kubernetes.io/');
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'green',
    );
    await s.reconcile(1);

    await s.reconcile(2);
    const during = await annotations();
    await s.reconcile(3);
    const promoted = await s.reconcile(4);

    expect(during).toBe(
      'canary-by-cookie=canary canary-by-header-value=insider canary-by-header=x-canary canary-weight=0 canary=true',
    );
    expect(promoted.canaries[0]).toMatchObject({ phase: 'Succeeded' });
    expect(await annotations()).toBe('canary-weight=0 canary=true');
  });
});

describe.each(routers)('a $provider Canary deleted from git mid-release', (router) => {
  it('leaves its route at rest in the cluster (all to the primary), committed once', async () => {
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns, router.provider, weighted),
        'apps/podinfo/ingress.yaml': ingress(ns),
      }),
      { analyze: stubAnalysis({ now: false }) },
    );
    const routing = async () => router.routing(await readRoute(s, router.route));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'green',
    );
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await routing()).toBe(router.at10);

    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the canary');
    await s.reconcile(3);
    const after = await s.reconcile(4);

    expect((await s.human.log())[0]).toBe('podinfo: canary removed, traffic to primary');
    expect(await routing()).toBe(router.atRest);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-blue']);
    expect(after.commits).toEqual([]);
  });
});

describe('an nginx A/B Canary deleted from git mid-run', () => {
  it('leaves no canary-by-header or canary-by-cookie on the live canary Ingress', async () => {
    const ab =
      '    iterations: 2\n    match:\n      - headers: { x-canary: { exact: insider } }\n      - headers: { cookie: { exact: canary } }';
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns, 'nginx', ab),
        'apps/podinfo/ingress.yaml': ingress(ns),
      }),
      { analyze: stubAnalysis({ now: false }) },
    );
    const annotations = async () =>
      annotationsWith(await readRoute(s, routers[0]!.route), 'nginx.ingress.kubernetes.io/');
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'green',
    );
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await annotations()).toContain('canary-by-header=x-canary');

    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the canary');
    await s.reconcile(3);

    expect(await annotations()).toBe('canary-weight=0 canary=true');
  });
});
