import { describe, expect, it } from 'vitest';
import { contourRouter } from '../../../../src/core/routers/contour.js';
import type { CanarySpec, KubeObject, RequestMatch } from '../../../../src/core/model.js';
import { aCanary, anAnalysis, aService, aTarget } from '../builders.js';

type Json = Record<string, unknown>;
interface Proxy {
  metadata: KubeObject['metadata'];
  spec: { routes: { conditions: Json[]; services: Json[]; timeoutPolicy?: Json; retryPolicy?: Json }[] };
}

const contourCanary = (overrides: Partial<CanarySpec> = {}) =>
  aCanary({ provider: 'contour', service: aService(), ...overrides });

function proxy(canary: CanarySpec, weight = 0): Proxy {
  const [object] = contourRouter.routes({
    canary,
    target: aTarget().object,
    traffic: { weight, mirrored: false },
  });
  return object as unknown as Proxy;
}

const weights = (p: Proxy) =>
  p.spec.routes.map((r) => r.services.map((s) => `${String(s.name)}=${String(s.weight)}`).join(','));

const l5d = (name: string) => ({
  set: [{ name: 'l5d-dst-override', value: `${name}.test.svc.cluster.local:9898` }],
});

describe('the Contour router', () => {
  it("writes Flagger's HTTPProxy: a prefix route to both services, each with its Linkerd destination header", () => {
    const object = contourRouter.routes({
      canary: contourCanary(),
      target: aTarget().object,
      traffic: { weight: 5, mirrored: false },
    })[0];

    expect(object).toEqual({
      apiVersion: 'projectcontour.io/v1',
      kind: 'HTTPProxy',
      metadata: {
        name: 'podinfo',
        namespace: 'test',
        labels: { 'app.kubernetes.io/managed-by': 'gitcanary', 'gitcanary.dev/canary': 'podinfo' },
      },
      spec: {
        routes: [
          {
            conditions: [{ prefix: '/' }],
            services: [
              {
                name: 'podinfo-primary',
                port: 9898,
                weight: 95,
                requestHeadersPolicy: l5d('podinfo-primary'),
              },
              { name: 'podinfo-canary', port: 9898, weight: 5, requestHeadersPolicy: l5d('podinfo-canary') },
            ],
          },
        ],
      },
    });
  });

  it("turns the tutorial's timeout and retries into Flagger's timeout and retry policies", () => {
    const canary = contourCanary({
      service: aService({
        port: 80,
        timeout: '15s',
        retries: { attempts: 3, perTryTimeout: '5s', retryOn: '5xx' },
      }),
    });

    const [route] = proxy(canary).spec.routes;

    expect(route?.timeoutPolicy).toEqual({ response: '15s', idle: '5m' });
    expect(route?.retryPolicy).toEqual({ count: 3, perTryTimeout: '5s', retryOn: ['5xx'] });
    expect(route?.services.map((s) => s.port)).toEqual([80, 80]);
  });

  it.each<[string, RequestMatch, Json]>([
    ['a path prefix', { uri: { prefix: '/api' } }, { prefix: '/api' }],
    ['an exact path', { uri: { exact: '/health' } }, { exact: '/health' }],
    ['a path regex', { uri: { regex: '/v[0-9]+/.*' } }, { regex: '/v[0-9]+/.*' }],
  ])('takes %s from service.match as the path condition', (_, match, condition) => {
    const p = proxy(contourCanary({ service: aService({ match: [match] }) }));

    expect(p.spec.routes.map((r) => r.conditions)).toEqual([[condition]]);
  });

  it('routes A/B as Flagger: the matched requests split, the others to the primary', () => {
    const canary = contourCanary({
      analysis: anAnalysis({ iterations: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] }),
    });

    const p = proxy(canary, 100);

    expect(p.spec.routes.map((r) => r.conditions)).toEqual([
      [{ prefix: '/', header: { name: 'x-canary', exact: 'insider' } }],
      [{ prefix: '/' }],
    ]);
    expect(weights(p)).toEqual([
      'podinfo-primary=0,podinfo-canary=100',
      'podinfo-primary=100,podinfo-canary=0',
    ]);
  });

  it.each<[string, RequestMatch['headers'], Json]>([
    ['exact', { cookie: { exact: 'insider' } }, { name: 'cookie', exact: 'insider' }],
    ['regex', { cookie: { regex: '.*canary=insider.*' } }, { name: 'cookie', regex: '.*canary=insider.*' }],
    [
      'suffix (contains, as Flagger)',
      { cookie: { suffix: 'insider' } },
      { name: 'cookie', contains: 'insider' },
    ],
    ['prefix (contains, as Flagger)', { 'x-user': { prefix: 'beta' } }, { name: 'x-user', contains: 'beta' }],
  ])('writes a header %s match as a header condition', (_, headers, header) => {
    const canary = contourCanary({ analysis: anAnalysis({ iterations: 2, match: [{ headers }] }) });

    expect(proxy(canary).spec.routes[0]?.conditions).toEqual([{ prefix: '/', header }]);
  });

  it('gives each A/B match a route of its own, one path condition each (Flagger puts them all in one, which Contour refuses)', () => {
    const canary = contourCanary({
      service: aService({ match: [{ uri: { prefix: '/app' } }] }),
      analysis: anAnalysis({
        iterations: 2,
        match: [
          { headers: { 'x-canary': { exact: 'insider' }, 'x-beta': { exact: 'yes' } } },
          { queryParams: { canary: { suffix: 'on' } } },
        ],
      }),
    });

    const p = proxy(canary, 100);

    expect(p.spec.routes.map((r) => r.conditions)).toEqual([
      [
        { prefix: '/app', header: { name: 'x-beta', exact: 'yes' } },
        { header: { name: 'x-canary', exact: 'insider' } },
      ],
      [{ prefix: '/app', queryParameter: { name: 'canary', suffix: 'on' } }],
      [{ prefix: '/app' }],
    ]);
    expect(weights(p)).toEqual([
      'podinfo-primary=0,podinfo-canary=100',
      'podinfo-primary=0,podinfo-canary=100',
      'podinfo-primary=100,podinfo-canary=0',
    ]);
  });

  it('puts the apex metadata on the HTTPProxy', () => {
    const canary = contourCanary({
      service: aService({ apex: { labels: { team: 'web' }, annotations: {} } }),
    });

    expect(proxy(canary).metadata.labels).toMatchObject({ team: 'web' });
  });

  describe('check', () => {
    it.each<[string, Partial<CanarySpec>, string]>([
      [
        'a method match',
        { analysis: anAnalysis({ iterations: 2, match: [{ method: { exact: 'GET' } }] }) },
        'spec.analysis.match[0].method',
      ],
      [
        'a path suffix',
        { service: aService({ match: [{ uri: { suffix: '.png' } }] }) },
        'spec.service.match[0].uri.suffix',
      ],
      [
        'a path regex not starting with /',
        { service: aService({ match: [{ uri: { regex: '^/v1' } }] }) },
        'spec.service.match[0].uri',
      ],
      [
        'a retry condition Contour does not know',
        { service: aService({ retries: { attempts: 2, retryOn: '5xx,retriable-status-codes,bogus' } }) },
        'spec.service.retries.retryOn',
      ],
    ])('refuses %s', (_, overrides, field) => {
      expect(contourRouter.check(contourCanary(overrides), 'spec.analysis').map((i) => i.field)).toEqual([
        field,
      ]);
    });

    it("accepts the tutorial's A/B cookie suffix and Istio-style retries Contour knows", () => {
      const canary = contourCanary({
        service: aService({
          retries: { attempts: 3, perTryTimeout: '5s', retryOn: 'gateway-error,connect-failure' },
        }),
        analysis: anAnalysis({ iterations: 10, match: [{ headers: { cookie: { suffix: 'insider' } } }] }),
      });

      expect(contourRouter.check(canary, 'spec.analysis')).toEqual([]);
    });
  });

  describe('readiness', () => {
    const base = proxy(contourCanary()) as unknown as KubeObject;
    const withStatus = (status: Json | undefined, generation = 2): KubeObject => ({
      ...base,
      metadata: { ...base.metadata, generation },
      ...(status ? { status } : {}),
    });
    const valid = (current: string, observedGeneration: number, errors: Json[] = []) => ({
      currentStatus: current,
      description: current === 'valid' ? 'Valid HTTPProxy' : 'HTTPProxy is invalid',
      conditions: [
        { type: 'Valid', status: current === 'valid' ? 'True' : 'False', observedGeneration, errors },
      ],
    });

    it.each<[string, KubeObject | undefined, string]>([
      ['an HTTPProxy with no status', withStatus(undefined), 'ready'],
      [
        "the API server's default (no Contour has reported)",
        withStatus({ currentStatus: 'NotReconciled', description: 'Waiting for controller' }),
        'ready',
      ],
      ['a valid HTTPProxy', withStatus(valid('valid', 2)), 'ready'],
      ['a generation Contour has not seen', withStatus(valid('valid', 1)), 'pending'],
      ['an invalid HTTPProxy', withStatus(valid('invalid', 2)), 'rejected'],
      [
        'an orphaned HTTPProxy (no root includes it)',
        withStatus({
          currentStatus: 'orphaned',
          description: 'this HTTPProxy is not part of a delegation chain from a root HTTPProxy',
        }),
        'rejected',
      ],
      ['no HTTPProxy', undefined, 'pending'],
    ])('of %s is %s', (_, live, expected) => {
      expect(contourRouter.readiness(contourCanary(), [live]).state).toBe(expected);
    });

    it("names the HTTPProxy, Contour's description and errors when rejected", () => {
      const live = withStatus(
        valid('invalid', 2, [
          {
            type: 'RouteError',
            reason: 'PathMatchConditionsNotValid',
            status: 'True',
            message: 'route: more than one prefix, exact or regex is not allowed in a condition block',
          },
        ]),
      );

      expect(contourRouter.readiness(contourCanary(), [live])).toEqual({
        state: 'rejected',
        reason:
          'HTTPProxy podinfo is invalid (HTTPProxy is invalid; route: more than one prefix, exact or regex is not allowed in a condition block)',
      });
    });
  });
});
