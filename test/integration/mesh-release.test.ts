// A release through each mesh router against the real API server and the real CRDs of Istio, SMI (every
// TrafficSplit version Flagger writes) and Contour: initialize, step the weight, promote, then a failing
// release rolled back. At each stage the API server has accepted every object gitcanary wrote and stores
// exactly what the generated file says (nothing pruned, nothing defaulted), a second manager applying the
// committed file without force meets no conflict, and a pass with nothing to do writes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { PatchStrategy } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import type { AnalysisReport } from '../../src/core/analysis-report.js';
import type { KubeObject } from '../../src/core/model.js';
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

type Json = Record<string, unknown>;

interface MeshCase {
  provider: string;
  /** The route objects the router writes, in the generated file's order. */
  kinds: string[];
  /** `service:` lines the provider reads, beyond the port. */
  service: string;
  /** [primary, canary] weights of the live route objects. */
  weights(routes: KubeObject[]): [number, number];
}

const weightOf = (value: unknown) => Number(value);

const istioWeights = (routes: KubeObject[]): [number, number] => {
  const vs = routes.find((r) => r.kind === 'VirtualService');
  const http = (vs?.spec as { http: { route: { destination: { host: string }; weight: number }[] }[] }).http;
  const route = http.at(-1)?.route ?? [];
  const of = (suffix: string) => route.find((r) => r.destination.host.endsWith(suffix))?.weight ?? -1;
  return [of('-primary'), of('-canary')];
};

const smiWeights = (routes: KubeObject[]): [number, number] => {
  const backends = (routes[0]?.spec as { backends: { service: string; weight: unknown }[] }).backends;
  const of = (suffix: string) => weightOf(backends.find((b) => b.service.endsWith(suffix))?.weight);
  return [of('-primary'), of('-canary')];
};

const contourWeights = (routes: KubeObject[]): [number, number] => {
  const services = (routes[0]?.spec as { routes: { services: { name: string; weight: number }[] }[] })
    .routes[0]?.services;
  const of = (suffix: string) => services?.find((s) => s.name.endsWith(suffix))?.weight ?? -1;
  return [of('-primary'), of('-canary')];
};

const cases: MeshCase[] = [
  {
    provider: 'istio',
    kinds: ['DestinationRule', 'DestinationRule', 'VirtualService'],
    service: `    gateways: [istio-system/public-gateway]
    hosts: [app.example.com]
    trafficPolicy: { tls: { mode: DISABLE }, connectionPool: { http: { maxRetries: 3 } } }
    retries: { attempts: 3, perTryTimeout: 1s, retryOn: "gateway-error,connect-failure" }
    corsPolicy: { allowOrigins: [{ exact: "https://example.com" }], allowMethods: [GET], maxAge: 24h }
    headers: { request: { set: { x-release: canary } } }
    timeout: 30s
`,
    weights: istioWeights,
  },
  { provider: 'linkerd', kinds: ['TrafficSplit'], service: '', weights: smiWeights },
  { provider: 'osm', kinds: ['TrafficSplit'], service: '', weights: smiWeights },
  { provider: 'smi:v1alpha3', kinds: ['TrafficSplit'], service: '', weights: smiWeights },
  {
    provider: 'contour',
    kinds: ['HTTPProxy'],
    service: `    timeout: 15s
    retries: { attempts: 3, perTryTimeout: 5s, retryOn: "5xx,gateway-error" }
`,
    weights: contourWeights,
  },
];

const canary = (ns: string, c: MeshCase) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  provider: ${c.provider}
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
  service:
    port: 9898
${c.service}  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 30
    stepWeight: 10
`;

/** The router's objects as committed in the generated file. */
async function committedRoutes(s: Setup): Promise<KubeObject[]> {
  const docs = loadAll(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')) as KubeObject[];
  return docs.filter((d) => !['CanaryState', 'Service'].includes(d.kind));
}

async function live(object: KubeObject): Promise<KubeObject> {
  const { apiVersion, kind, metadata } = object;
  const ref = { apiVersion, kind, metadata: { name: metadata.name, namespace: metadata.namespace ?? '' } };
  return (await objects.read(ref)) as unknown as KubeObject;
}

/**
 * The committed route objects are in the cluster exactly as committed, and another manager (a GitOps tool)
 * applying the committed file without force owns the same fields with no conflict.
 */
async function expectStoredAsCommitted(s: Setup, c: MeshCase): Promise<KubeObject[]> {
  const committed = await committedRoutes(s);
  expect(committed.map((o) => o.kind)).toEqual(c.kinds);
  const stored = await Promise.all(committed.map(live));
  stored.forEach((object, i) => {
    expect(object.spec).toEqual(committed[i]?.spec);
    expect(object.metadata.labels).toMatchObject(committed[i]?.metadata.labels ?? {});
  });
  for (const object of committed) {
    await objects.patch(
      object,
      undefined,
      undefined,
      'kustomize-controller',
      false,
      PatchStrategy.ServerSideApply,
    );
  }
  return stored;
}

const failing: AnalysisReport = {
  checks: [{ name: 'request-success-rate', value: 42, min: 99, passed: false }],
  gates: {},
};

describe.each(cases)('a release through provider $provider', (c) => {
  it('initializes, steps, promotes and rolls back a failing release, the API server storing what git says', async () => {
    let failingChecks = false;
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns, c),
      }),
      {
        analyze: ({ needs }) =>
          Promise.resolve(failingChecks && needs.metrics ? failing : { checks: [], gates: {} }),
      },
    );
    const weights = async () => c.weights(await Promise.all((await committedRoutes(s)).map(live)));

    // Initialized: everything to the primary, the objects as committed.
    expect((await s.reconcile(0)).canaries[0]).toMatchObject({ phase: 'Initialized', weight: 0 });
    expect(c.weights(await expectStoredAsCommitted(s, c))).toEqual([100, 0]);
    const writes = s.cluster.stats.writes;
    const quiet = await s.reconcile(0.5);
    expect(quiet.commits).toEqual([]);
    expect(s.cluster.stats.writes).toBe(writes);

    // A release steps 10, 20, 30 and promotes.
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await weights()).toEqual([90, 10]);
    await s.reconcile(3);
    expect(c.weights(await expectStoredAsCommitted(s, c))).toEqual([80, 20]);
    await s.reconcile(4);
    expect(await weights()).toEqual([70, 30]);
    const promoted = await s.reconcile(5);
    expect(promoted.canaries[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
    expect(await weights()).toEqual([100, 0]);
    expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-green']);
    await expectStoredAsCommitted(s, c);

    // A failing release: two failed checks (the threshold) roll it back to the promoted primary.
    failingChecks = true;
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('red')) },
      'release red',
    );
    await s.reconcile(6);
    await s.reconcile(7);
    expect(await weights()).toEqual([90, 10]);
    await s.reconcile(8);
    const rolledBack = await s.reconcile(9);
    expect(rolledBack.canaries[0]).toMatchObject({ phase: 'Failed', weight: 0 });
    expect(await weights()).toEqual([100, 0]);
    expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-red']);
    await expectStoredAsCommitted(s, c);
    const subjects = (await s.human.log()).slice(0, 4).map((line) => line.replace(/[0-9a-f]{12}/g, 'REV'));
    expect(subjects).toEqual([
      expect.stringMatching(/^podinfo: rolled back/),
      'podinfo: check failed (1 of 2)',
      'podinfo: weight 0 → 10',
      'podinfo: new revision REV, analysis started',
    ]);
  });
});

/** Each rule of an Istio or Contour route as `path conditions -> service:weight,…`. */
function abRules(route: KubeObject): string[] {
  const spec = route.spec as Json;
  if (route.kind === 'VirtualService') {
    type Match = { uri?: { prefix?: string }; headers?: Json; queryParams?: Json };
    type Rule = { match: Match[]; route: { destination: { host: string }; weight: number }[] };
    return (spec.http as Rule[]).flatMap((rule) =>
      rule.match.map((m) => {
        const exact = (map: Json | undefined) =>
          Object.entries(map ?? {}).map(([k, v]) => `${k}=${String((v as { exact: string }).exact)}`);
        const on = [m.uri?.prefix, ...exact(m.headers), ...exact(m.queryParams)].join(' ');
        return `${on} -> ${rule.route.map((r) => `${r.destination.host}:${r.weight}`).join(',')}`;
      }),
    );
  }
  type Condition = {
    prefix?: string;
    header?: { name: string; exact: string };
    queryParameter?: { name: string; exact: string };
  };
  type Route = { conditions: Condition[]; services: { name: string; weight: number }[] };
  return (spec.routes as Route[]).map((r) => {
    const on = r.conditions
      .flatMap((c) => [
        c.prefix,
        c.header && `${c.header.name}=${c.header.exact}`,
        c.queryParameter && `${c.queryParameter.name}=${c.queryParameter.exact}`,
      ])
      .filter(Boolean)
      .join(' ');
    return `${on} -> ${r.services.map((x) => `${x.name}:${x.weight}`).join(',')}`;
  });
}

// The A/B routes of the routers that match requests, through a whole A/B release.
describe('an A/B release through provider istio and contour', () => {
  it.each(['istio', 'contour'])(
    '%s: matched requests go to the canary, the rest stay on the primary',
    async (provider) => {
      const ab = (ns: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: ${ns} }
spec:
  provider: ${provider}
  targetRef: { kind: Service, name: podinfo }
  service:
    port: 9898
    match: [{ uri: { prefix: /api } }]
  analysis:
    interval: 1m
    threshold: 2
    iterations: 2
    match:
      - headers: { x-canary: { exact: insider } }
      - queryParams: { canary: { exact: "yes" } }
`;
      const s = await setup((ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': ab(ns),
      }));
      await s.reconcile(0);
      await s.human.commitAndPush(
        { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
        'release green',
      );
      await s.reconcile(1);
      await s.reconcile(2);

      const c: MeshCase = {
        provider,
        kinds:
          provider === 'istio' ? ['DestinationRule', 'DestinationRule', 'VirtualService'] : ['HTTPProxy'],
        service: '',
        weights: istioWeights,
      };
      const stored = await expectStoredAsCommitted(s, c);
      expect(abRules(stored.at(-1) as KubeObject)).toEqual([
        '/api x-canary=insider -> podinfo-primary:0,podinfo-canary:100',
        '/api canary=yes -> podinfo-primary:0,podinfo-canary:100',
        '/api -> podinfo-primary:100' + (provider === 'contour' ? ',podinfo-canary:0' : ''),
      ]);
      await s.reconcile(3);
      const done = await s.reconcile(4);
      expect(done.canaries[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
      await expectStoredAsCommitted(s, c);
    },
  );
});

describe.each(cases)('a provider $provider Canary deleted from git mid-release', (c) => {
  it('leaves its routes sending everything to the primary, as committed, once', async () => {
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns, c),
      }),
      { analyze: () => Promise.resolve({ checks: [], gates: {} }) },
    );
    const weights = async () => c.weights(await Promise.all((await committedRoutes(s)).map(live)));
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);
    await s.reconcile(2);
    expect(await weights()).toEqual([90, 10]);

    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the canary');
    await s.reconcile(3);
    const after = await s.reconcile(4);

    expect((await s.human.log())[0]).toBe('podinfo: canary removed, traffic to primary');
    expect(c.weights(await expectStoredAsCommitted(s, c))).toEqual([100, 0]);
    expect(await selectors(s.ns)).toEqual(['podinfo-blue', 'podinfo-blue']);
    expect(after.commits).toEqual([]);
  });
});
