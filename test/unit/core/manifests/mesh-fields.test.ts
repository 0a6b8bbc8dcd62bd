// How a Canary for the mesh routers (istio, linkerd/osm/smi, contour) is read: which router and version each
// provider names, the Istio-only fields normalized beside the others, and what each router reads or refuses.
import { describe, expect, it } from 'vitest';
import { normalizeCanary } from '../../../../src/core/manifests/normalize-canary.js';
import type { CanarySpec } from '../../../../src/core/model.js';

const source = { file: 'apps/podinfo/canary.yaml', document: 0 };

function document(
  provider: string,
  service: Record<string, unknown> = {},
  analysis: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      provider,
      targetRef: { apiVersion: 'v1', kind: 'Service', name: 'podinfo' },
      service: { port: 9898, ...service },
      analysis: { interval: '1m', threshold: 2, stepWeight: 10, maxWeight: 50, ...analysis },
    },
  };
}

function read(doc: unknown) {
  const result = normalizeCanary(doc, { source, defaultNamespace: 'default' });
  return {
    canary: result.ok ? result.canary : undefined,
    errors: result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.message}`),
    warnings: result.warnings.map((w) => `${w.field}: ${w.message}`),
  };
}

const canaryOf = (doc: unknown): CanarySpec => {
  const { canary, errors } = read(doc);
  if (!canary) throw new Error(errors.join('\n'));
  return canary;
};

describe('the mesh providers', () => {
  it.each([
    ['istio', 'istio', undefined],
    ['linkerd', 'smi', 'v1alpha1'],
    ['smi', 'smi', 'v1alpha1'],
    ['smi:v1alpha1', 'smi', 'v1alpha1'],
    ['smi:v1alpha2', 'smi', 'v1alpha2'],
    ['smi:v1alpha3', 'smi', 'v1alpha3'],
    ['osm', 'smi', 'v1alpha2'],
    ['contour', 'contour', undefined],
  ])('provider %s is the %s router, version %s (as Flagger picks)', (provider, router, version) => {
    const canary = canaryOf(document(provider));

    expect([canary.provider, canary.providerVersion]).toEqual([router, version]);
  });

  it('still refuses a provider no router handles, naming the supported ones', () => {
    expect(read(document('kuma')).errors).toEqual([
      expect.stringMatching(
        /^spec\.provider: provider "kuma" is not supported yet; gitcanary routes for .*istio, linkerd, smi, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, osm, contour/,
      ),
    ]);
  });
});

describe('the Istio fields of a Canary', () => {
  it('reads gateways, delegation, portDiscovery, retries, CORS and traffic policies', () => {
    const canary = canaryOf(
      document('istio', {
        gateways: ['istio-system/public'],
        portDiscovery: true,
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error' },
        corsPolicy: {
          allowOrigins: [{ exact: 'https://example.com' }],
          allowCredentials: false,
          maxAge: '24h',
        },
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, outlierDetection: { consecutive5xxErrors: 5 } },
      }),
    );

    expect(canary.service).toMatchObject({
      gateways: ['istio-system/public'],
      portDiscovery: true,
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error' },
      corsPolicy: {
        allowOrigins: [{ exact: 'https://example.com' }],
        allowCredentials: false,
        maxAge: '24h',
      },
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, outlierDetection: { consecutive5xxErrors: 5 } },
    });
    expect(canary.service.delegation).toBeUndefined();
  });

  it('takes retries without attempts as 0 attempts, as Flagger writes them', () => {
    expect(canaryOf(document('istio', { retries: { retryOn: '5xx' } })).service.retries).toEqual({
      attempts: 0,
      retryOn: '5xx',
    });
  });

  it('keeps only the traffic policy fields it knows, warning of the others', () => {
    const { canary, warnings } = read(
      document('istio', { trafficPolicy: { tls: { mode: 'SIMPLE', sin: 'x' }, portLevelSettings: [] } }),
    );

    expect(canary?.service.trafficPolicy).toEqual({ tls: { mode: 'SIMPLE' } });
    expect(warnings).toEqual([
      'spec.service.trafficPolicy.tls.sin: unknown field; ignored (did you mean sni?)',
      'spec.service.trafficPolicy.portLevelSettings: unknown field; ignored',
    ]);
  });

  it.each([
    [
      { tls: { mode: 'STRICT' } },
      'spec.service.trafficPolicy.tls.mode: must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL',
    ],
    [
      { connectionPool: { http: { maxRetries: '3' } } },
      'spec.service.trafficPolicy.connectionPool.http.maxRetries: must be an integer',
    ],
    [{ tls: 'ISTIO_MUTUAL' }, 'spec.service.trafficPolicy.tls: must be an object'],
  ])('refuses a traffic policy of the wrong shape: %j', (trafficPolicy, error) => {
    expect(read(document('istio', { trafficPolicy })).errors).toEqual([error]);
  });

  it("reads a match's Istio-only conditions", () => {
    const canary = canaryOf(
      document('istio', {
        match: [
          {
            name: 'api',
            uri: { prefix: '/api' },
            authority: { exact: 'api.example.com' },
            sourceLabels: { app: 'web' },
            withoutHeaders: { 'x-skip': { exact: 'yes' } },
            ignoreUriCase: true,
          },
        ],
      }),
    );

    expect(canary.service.match).toEqual([
      {
        uri: { prefix: '/api' },
        istio: {
          name: 'api',
          authority: { exact: 'api.example.com' },
          sourceLabels: { app: 'web' },
          withoutHeaders: { 'x-skip': { exact: 'yes' } },
          ignoreUriCase: true,
        },
      },
    ]);
  });

  it('refuses delegation with hosts, with the line of the field', () => {
    expect(read(document('istio', { delegation: true, hosts: ['app.example.com'] })).errors).toEqual([
      expect.stringMatching(/^spec\.service\.delegation: a delegate VirtualService has no hosts/),
    ]);
  });
});

describe('what each mesh router reads', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    [
      'istio',
      {
        gateways: ['public'],
        retries: { attempts: 2 },
        corsPolicy: { allowMethods: ['GET'] },
        timeout: '5s',
      },
      { mirror: true, mirrorWeight: 20, sessionAffinity: { cookieName: 'c' } },
      [],
    ],
    ['contour', { retries: { attempts: 2 }, timeout: '5s', match: [{ uri: { prefix: '/api' } }] }, {}, []],
    ['linkerd', { hosts: ['podinfo.test.svc.cluster.local'] }, {}, []],
    [
      'gatewayapi',
      { gatewayRefs: [{ name: 'gw' }], gateways: ['public'], delegation: true },
      {},
      [
        'spec.service.gateways: has no effect with provider gatewayapi (read by istio); ignored',
        'spec.service.delegation: has no effect with provider gatewayapi (read by istio); ignored',
      ],
    ],
    [
      'contour',
      { hosts: ['app.example.com'], corsPolicy: { allowMethods: ['GET'] } },
      { sessionAffinity: { cookieName: 'c' } },
      [
        'spec.service.hosts: has no effect with provider contour (read by gatewayapi, istio, smi); ignored',
        'spec.service.corsPolicy: has no effect with provider contour (read by istio); ignored',
        'spec.analysis.sessionAffinity: has no effect with provider contour (read by gatewayapi, istio); ignored',
      ],
    ],
    [
      'osm',
      { timeout: '5s', trafficPolicy: { tls: { mode: 'DISABLE' } } },
      {},
      [
        'spec.service.timeout: has no effect with provider smi (read by gatewayapi, istio, contour); ignored',
        'spec.service.trafficPolicy: has no effect with provider smi (read by istio); ignored',
      ],
    ],
  ])(
    'with provider %s, warns only of the fields it does not read',
    (provider, service, analysis, expected) => {
      const { warnings, errors } = read(document(provider, service, analysis));

      expect(errors).toEqual([]);
      expect(warnings).toEqual(expected);
    },
  );

  it.each([
    [
      'linkerd',
      { iterations: 2, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] },
      'spec.analysis.match',
      'smi',
    ],
    ['smi:v1alpha3', { mirror: true }, 'spec.analysis.mirror', 'smi'],
    ['contour', { mirror: true }, 'spec.analysis.mirror', 'contour'],
  ])(
    'with provider %s, warns of what the router cannot express and leaves it out: %j',
    (provider, analysis, field, router) => {
      const { canary, errors, warnings } = read(document(provider, {}, analysis));

      expect(errors).toEqual([]);
      expect(warnings.filter((w) => !/^spec\.analysis\.(stepWeight|maxWeight): /.test(w))).toEqual([
        expect.stringMatching(`^${field}: has no effect with provider ${router} `),
      ]);
      expect(canary?.analysis).toMatchObject({ match: [], mirror: false });
    },
  );

  it.each([
    ['contour', { iterations: 2, match: [{ method: { exact: 'POST' } }] }, 'spec.analysis.match[0].method'],
  ])('refuses with provider %s what it cannot express: %j', (provider, analysis, field) => {
    const errors = read(document(provider, {}, analysis)).errors;

    expect(errors.map((e) => e.slice(0, e.indexOf(': ')))).toEqual([field]);
  });
});
