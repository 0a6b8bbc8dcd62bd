// The Canaries of Flagger's Istio, Linkerd and Contour tutorials (test/fixtures/flagger, rewritten with Service
// targets): `validate` and `render` accept them given the provider Flagger's -mesh-provider would give, and the
// routes rendered are the objects Flagger's routers write for the same Canary (pkg/router/istio.go, smi.go,
// contour.go), written out here field by field: names, hosts, weights, matches, policies.
import { describe, expect, it } from 'vitest';
import { renderCheckout } from '../../../src/cli/commands/render.js';
import { validateCheckout } from '../../../src/cli/commands/validate.js';
import type { KubeObject } from '../../../src/core/model.js';

const fixtures = 'test/fixtures/flagger';

async function render(dir: string, provider: string, weight: number): Promise<KubeObject[]> {
  const { output, failed } = await renderCheckout(`${fixtures}/${dir}`, {
    defaultNamespace: 'default',
    defaultProvider: provider,
    output: 'json',
    weight,
  });
  expect(failed).toBe(false);
  return (JSON.parse(output.stdout) as { items: KubeObject[] }).items;
}

const find = (items: KubeObject[], kind: string, name: string) =>
  items.find((o) => o.kind === kind && o.metadata.name === name);

const ours = { 'app.kubernetes.io/managed-by': 'gitcanary' };

describe("Flagger's mesh tutorials through validate and render", () => {
  it.each([
    ['istio', 'istio', 3, 5],
    ['linkerd', 'linkerd', 1, 2],
    ['contour', 'contour', 3, 6],
  ])(
    'validates the %s tutorial Canaries given --default-provider %s',
    async (dir, provider, canaries, warnings) => {
      const report = await validateCheckout(`${fixtures}/${dir}`, {
        defaultNamespace: 'default',
        defaultProvider: provider,
      });

      expect(report.errors).toEqual([]);
      expect(report.canaries).toHaveLength(canaries);
      // Only autoscalerRef and targetPort, which mean nothing for a Service target.
      expect(
        report.warnings
          .map((w) => w.field)
          .filter((f) => !/^spec\.(autoscalerRef|service\.targetPort)$/.test(f ?? '')),
      ).toEqual([]);
      expect(report.warnings).toHaveLength(warnings);
    },
  );

  describe('istio (istio-progressive-delivery.md and istio-ab-testing.md)', () => {
    it('renders the canary tutorial as Flagger: DestinationRules with the traffic policy, the weighted VirtualService', async () => {
      const items = await render('istio/canary', 'istio', 10);

      expect(
        ['podinfo-canary-primary', 'podinfo-canary-canary'].map(
          (n) => find(items, 'DestinationRule', n)?.spec,
        ),
      ).toEqual([
        { host: 'podinfo-canary-primary', trafficPolicy: { tls: { mode: 'DISABLE' } } },
        { host: 'podinfo-canary-canary', trafficPolicy: { tls: { mode: 'DISABLE' } } },
      ]);
      const vs = find(items, 'VirtualService', 'podinfo-canary');
      expect(vs?.apiVersion).toBe('networking.istio.io/v1beta1');
      expect(vs?.metadata.labels).toMatchObject(ours);
      expect(vs?.spec).toEqual({
        hosts: ['app.example.com', 'podinfo-canary'],
        gateways: ['istio-system/public-gateway'],
        http: [
          {
            retries: {
              attempts: 3,
              perTryTimeout: '1s',
              retryOn: 'gateway-error,connect-failure,refused-stream',
            },
            route: [
              { destination: { host: 'podinfo-canary-primary' }, weight: 90 },
              { destination: { host: 'podinfo-canary-canary' }, weight: 10 },
            ],
          },
        ],
      });
    });

    it('renders the A/B tutorial as Flagger: the Firefox and insider-cookie matches to the canary, the rest to the primary', async () => {
      const items = await render('istio/ab-testing', 'istio', 100);

      expect(find(items, 'VirtualService', 'podinfo-ab')?.spec).toEqual({
        hosts: ['app.example.com', 'podinfo-ab'],
        gateways: ['istio-system/public-gateway'],
        http: [
          {
            match: [
              { headers: { 'user-agent': { regex: '.*Firefox.*' } } },
              { headers: { cookie: { regex: '^(.*?;)?(type=insider)(;.*)?$' } } },
            ],
            route: [
              { destination: { host: 'podinfo-ab-primary' }, weight: 0 },
              { destination: { host: 'podinfo-ab-canary' }, weight: 100 },
            ],
          },
          { route: [{ destination: { host: 'podinfo-ab-primary' }, weight: 100 }] },
        ],
      });
    });

    it('renders the session-affinity tutorial as Flagger: a sticky canary route, then the split that sets the cookie', async () => {
      const items = await render('istio/session-affinity', 'istio', 10);

      const http = (
        find(items, 'VirtualService', 'podinfo-session')?.spec as { http: Record<string, unknown>[] }
      ).http;
      // Flagger's cookie value is random; gitcanary's is the revision (docs/routers/istio.md).
      const cookie = /^\.\*flagger-cookie\.\*([0-9a-f]{12})\.\*$/;
      const [sticky, weighted] = http;
      expect(sticky).toEqual({
        match: [{ headers: { cookie: { regex: expect.stringMatching(cookie) as string } } }],
        retries: {
          attempts: 3,
          perTryTimeout: '1s',
          retryOn: 'gateway-error,connect-failure,refused-stream',
        },
        route: [
          { destination: { host: 'podinfo-session-primary' }, weight: 0 },
          { destination: { host: 'podinfo-session-canary' }, weight: 100 },
        ],
      });
      expect(weighted?.route).toEqual([
        { destination: { host: 'podinfo-session-primary' }, weight: 90 },
        {
          destination: { host: 'podinfo-session-canary' },
          weight: 10,
          headers: {
            response: {
              add: {
                'Set-Cookie': expect.stringMatching(/^flagger-cookie=[0-9a-f]{12}; Max-Age=21600$/) as string,
              },
            },
          },
        },
      ]);
      expect(http).toHaveLength(2);
    });
  });

  it("renders the Linkerd tutorial's Canary as Flagger's SMI router: a v1alpha1 TrafficSplit, canary first, quantity weights", async () => {
    const items = await render('linkerd', 'linkerd', 5);

    const split = find(items, 'TrafficSplit', 'podinfo');
    expect(split?.apiVersion).toBe('split.smi-spec.io/v1alpha1');
    expect(split?.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-canary', weight: '5' },
        { service: 'podinfo-primary', weight: '95' },
      ],
    });
  });

  describe('contour (contour-progressive-delivery.md)', () => {
    const service = (name: string, weight: number) => ({
      name,
      port: 80,
      weight,
      requestHeadersPolicy: {
        set: [{ name: 'l5d-dst-override', value: `${name}.test.svc.cluster.local:80` }],
      },
    });
    const policies = {
      timeoutPolicy: { response: '15s', idle: '5m' },
      retryPolicy: { count: 3, perTryTimeout: '5s', retryOn: ['5xx'] },
    };

    it('renders the canary tutorial as Flagger: one prefix route, timeout and retry policies, both services', async () => {
      const items = await render('contour/canary', 'contour', 5);

      const proxy = find(items, 'HTTPProxy', 'podinfo-canary');
      expect(proxy?.apiVersion).toBe('projectcontour.io/v1');
      expect(proxy?.spec).toEqual({
        routes: [
          {
            conditions: [{ prefix: '/' }],
            ...policies,
            services: [service('podinfo-canary-primary', 95), service('podinfo-canary-canary', 5)],
          },
        ],
      });
    });

    it.each([
      ['ab-testing', 'podinfo-ab', { name: 'x-canary', exact: 'insider' }],
      // Flagger writes a header suffix as `contains`.
      ['ab-cookie', 'podinfo-cookie', { name: 'cookie', contains: 'insider' }],
    ])(
      'renders the A/B tutorial (%s) as Flagger: the header route to the canary, the prefix route to the primary',
      async (dir, name, header) => {
        const items = await render(`contour/${dir}`, 'contour', 100);

        expect(find(items, 'HTTPProxy', name)?.spec).toEqual({
          routes: [
            {
              conditions: [{ prefix: '/', header }],
              ...policies,
              services: [service(`${name}-primary`, 0), service(`${name}-canary`, 100)],
            },
            {
              conditions: [{ prefix: '/' }],
              ...policies,
              services: [service(`${name}-primary`, 100), service(`${name}-canary`, 0)],
            },
          ],
        });
      },
    );
  });
});
