// `gitcanary render` for the mesh routers against the real API server and the real CRDs of Istio, SMI and
// Contour: every feature each router renders, at every kind of step, is accepted (structural schemas, CEL
// rules), stored exactly as rendered (nothing pruned, nothing defaulted), and applied again by a second
// manager without force with no conflict. Flagger's tutorial Canaries (test/fixtures/flagger) too.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { renderCheckout } from '../../src/cli/commands/render.js';
import type { KubeObject, Phase } from '../../src/core/model.js';
import { istioRouter } from '../../src/core/routers/istio.js';
import { normalizeCanary } from '../../src/core/manifests/normalize-canary.js';
import { load } from 'js-yaml';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

const kc = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-render-mesh-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function render(
  dir: string,
  flags: { weight?: number; phase?: Phase; defaultProvider?: string } = {},
): Promise<KubeObject[]> {
  const { output, failed } = await renderCheckout(dir, {
    defaultNamespace: 'default',
    defaultProvider: flags.defaultProvider ?? 'kubernetes',
    output: 'json',
    ...(flags.weight !== undefined ? { weight: flags.weight } : {}),
    ...(flags.phase ? { phase: flags.phase } : {}),
  });
  expect(output.stderr.split('\n').filter((l) => l && !l.includes(': warning: '))).toEqual([]);
  expect(failed).toBe(false);
  return (JSON.parse(output.stdout) as { items: KubeObject[] }).items;
}

const apply = (object: KubeObject, manager: string, force: boolean) =>
  objects.patch(object, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);

/** Applies the routes (and Services) as gitcanary would, then as a GitOps tool would, in a fresh namespace. */
async function applyRendered(items: KubeObject[]): Promise<{ sent: KubeObject; stored: KubeObject }[]> {
  const namespace = await createTestNamespace(kc, 'render-mesh');
  const generated = items
    .filter((o) => o.kind !== 'CanaryState')
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  const result: { sent: KubeObject; stored: KubeObject }[] = [];
  for (const sent of generated) {
    await apply(sent, 'gitcanary', true);
    const stored = await apply(sent, 'kustomize-controller', false);
    result.push({ sent, stored });
  }
  return result;
}

/** Every route object rendered is stored as it was sent. */
function expectRoutesStoredAsSent(applied: { sent: KubeObject; stored: KubeObject }[]): void {
  const routes = applied.filter(({ sent }) => sent.kind !== 'Service');
  expect(routes.length).toBeGreaterThan(0);
  for (const { sent, stored } of routes) expect(stored.spec).toEqual(sent.spec);
}

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name}-blue }
  ports: [{ name: http, port: 9898 }, { name: grpc, port: 9999 }]
`;

const istioEverything = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: web, namespace: test }
spec:
  provider: istio
  targetRef: { apiVersion: core/v1, kind: Service, name: web }
  service:
    port: 9898
    portDiscovery: true
    gateways: [istio-system/public-gateway, mesh]
    hosts: [www.example.com]
    match:
      - name: api
        uri: { prefix: /api }
        method: { regex: "GET|HEAD" }
        authority: { exact: www.example.com }
        scheme: { exact: https }
        ignoreUriCase: true
        withoutHeaders: { x-skip: { exact: "yes" } }
      - uri: { exact: /health }
        port: 9898
        sourceLabels: { app: frontend }
        sourceNamespace: frontend
        gateways: [mesh]
    rewrite: { uri: /v2, authority: api.example.com }
    timeout: 30s
    retries: { attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,connect-failure,refused-stream" }
    corsPolicy:
      allowOrigins: [{ exact: "https://example.com" }, { regex: "https://.*\\\\.example\\\\.org" }]
      allowMethods: [GET, POST]
      allowHeaders: [x-token]
      exposeHeaders: [x-trace]
      maxAge: 24h
      allowCredentials: true
    headers:
      request: { set: { x-release: canary }, add: { x-trace: "on" }, remove: [x-debug] }
      response: { set: { x-served-by: gitcanary }, remove: [server] }
    trafficPolicy:
      connectionPool:
        http: { h2UpgradePolicy: UPGRADE, http1MaxPendingRequests: 10, http2MaxRequests: 100, idleTimeout: 30s, maxRequestsPerConnection: 5, maxRetries: 3 }
      loadBalancer:
        consistentHash:
          httpCookie: { name: user, ttl: 0s }
          minimumRingSize: 1024
        localityLbSetting:
          enabled: true
          distribute: [{ from: "eu-west/zone1/*", to: { "eu-west/zone1/*": 80, "eu-west/zone2/*": 20 } }]
      outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 10, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 }
      tls: { mode: SIMPLE, sni: web.example.com, subjectAltNames: [web.example.com] }
    apex: { labels: { team: web }, annotations: { note: apex } }
  analysis:
    interval: 1m
    threshold: 2
    stepWeights: [5, 25, 50]
    mirror: true
    mirrorWeight: 50
    sessionAffinity: { cookieName: canary-visitor, primaryCookieName: primary-visitor, maxAge: 600, secure: true, sameSite: Lax }
`;

const istioAb = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: shop, namespace: test }
spec:
  provider: istio
  targetRef: { kind: Service, name: shop }
  service:
    delegation: true
    portDiscovery: true
    match: [{ uri: { prefix: /shop } }]
  analysis:
    interval: 1m
    iterations: 3
    match:
      - headers: { user-agent: { regex: ".*Firefox.*" } }
      - queryParams: { canary: { exact: "yes" } }
        sourceLabels: { app: tester }
    sessionAffinity: { cookieName: canary-visitor }
`;

const smi = (version: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: mesh, namespace: test }
spec:
  provider: ${version}
  targetRef: { kind: Service, name: mesh }
  service:
    hosts: [mesh.test.svc.cluster.local]
    apex: { labels: { team: mesh } }
  analysis: { interval: 1m, stepWeight: 20, maxWeight: 60 }
`;

const contourEverything = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: edge, namespace: test }
spec:
  provider: contour
  targetRef: { kind: Service, name: edge }
  service:
    port: 9898
    timeout: 15s
    retries: { attempts: 3, perTryTimeout: 5s, retryOn: "5xx,gateway-error,reset,retriable-4xx" }
    match:
      - uri: { prefix: /api }
      - uri: { exact: /health }
      - uri: { regex: "/v[0-9]+/.*" }
    apex: { labels: { team: edge }, annotations: { note: apex } }
  analysis:
    interval: 1m
    iterations: 3
    match:
      - headers: { x-canary: { exact: insider }, user-agent: { regex: ".*Firefox.*" } }
      - headers: { cookie: { suffix: insider }, x-beta: { prefix: "1" } }
        queryParams: { canary: { exact: "yes" }, v: { prefix: "2" }, w: { suffix: z }, r: { regex: "[0-9]+" } }
`;

describe('gitcanary render for the mesh routers, applied to the real API server', () => {
  it.each<[number, Phase | undefined]>([
    [0, undefined],
    [5, undefined],
    [50, undefined],
    [0, 'Succeeded'],
  ])(
    'renders every Istio feature at weight %i (phase %s) in objects stored as rendered',
    async (weight, phase) => {
      const dir = await checkout({ 'web/service.yaml': service('web'), 'web/canary.yaml': istioEverything });

      const applied = await applyRendered(await render(dir, { weight, ...(phase ? { phase } : {}) }));

      expect(applied.map(({ sent }) => `${sent.kind}/${sent.metadata.name}`)).toEqual([
        'Service/web-primary',
        'Service/web-canary',
        'DestinationRule/web-primary',
        'DestinationRule/web-canary',
        'VirtualService/web',
      ]);
      expectRoutesStoredAsSent(applied);
    },
  );

  it('stores a mirrored step of the Istio VirtualService as rendered', async () => {
    // `render` shows a step without mirroring; the planner's mirrored step is this router output.
    const normalized = normalizeCanary(load(istioEverything), {
      source: { file: 'web/canary.yaml', document: 0 },
      defaultNamespace: 'default',
    });
    if (!normalized.ok) throw new Error(normalized.errors.map((e) => e.message).join('\n'));
    const target = load(service('web')) as KubeObject;

    const routes = istioRouter.routes({
      canary: normalized.canary,
      target,
      traffic: { weight: 0, mirrored: true },
    });
    const applied = await applyRendered(routes);

    expect((applied[2]?.stored.spec as { http: Record<string, unknown>[] }).http.at(-1)).toMatchObject({
      mirror: { host: 'web-canary' },
      mirrorPercentage: { value: 50 },
    });
    expectRoutesStoredAsSent(applied);
  });

  it('renders an Istio A/B delegate with session affinity in objects stored as rendered', async () => {
    const dir = await checkout({ 'shop/service.yaml': service('shop'), 'shop/canary.yaml': istioAb });

    expectRoutesStoredAsSent(await applyRendered(await render(dir)));
  });

  it.each(['linkerd', 'smi', 'smi:v1alpha1', 'smi:v1alpha2', 'osm', 'smi:v1alpha3'])(
    'renders the TrafficSplit of provider %s in an object stored as rendered',
    async (provider) => {
      const dir = await checkout({ 'mesh/service.yaml': service('mesh'), 'mesh/canary.yaml': smi(provider) });

      const applied = await applyRendered(await render(dir, { weight: 40 }));

      expectRoutesStoredAsSent(applied);
      expect(applied.at(-1)?.stored.spec).toMatchObject({ service: 'mesh.test.svc.cluster.local' });
    },
  );

  it.each([0, 100])(
    'renders every Contour feature at weight %i in an HTTPProxy stored as rendered',
    async (weight) => {
      const dir = await checkout({
        'edge/service.yaml': service('edge'),
        'edge/canary.yaml': contourEverything,
      });

      const applied = await applyRendered(await render(dir, { weight }));

      expectRoutesStoredAsSent(applied);
      expect((applied.at(-1)?.stored.spec as { routes: unknown[] }).routes).toHaveLength(3 * 2 + 3);
    },
  );

  it.each([
    ['istio', 'istio', ['podinfo-ab', 'podinfo-canary', 'podinfo-session']],
    ['linkerd', 'linkerd', ['podinfo']],
    ['contour', 'contour', ['podinfo-cookie', 'podinfo-ab', 'podinfo-canary']],
  ])(
    "renders Flagger's %s tutorial Canaries, given the provider, in objects stored as rendered",
    async (dir, provider, apexes) => {
      const applied = await applyRendered(
        await render(`test/fixtures/flagger/${dir}`, { defaultProvider: provider }),
      );

      const named = applied
        .filter(({ sent }) => ['VirtualService', 'TrafficSplit', 'HTTPProxy'].includes(sent.kind))
        .map(({ sent }) => sent.metadata.name);
      expect(named.sort()).toEqual([...apexes].sort());
      expectRoutesStoredAsSent(applied);
    },
  );
});
