import { describe, expect, it } from 'vitest';
import { istioRouter } from '../../../../src/core/routers/istio.js';
import type { CanarySpec, KubeObject, RequestMatch } from '../../../../src/core/model.js';
import type { Traffic } from '../../../../src/core/routers/router.js';
import { aCanary, anAnalysis, aService, aTarget } from '../builders.js';

type Json = Record<string, unknown>;
interface VirtualService {
  apiVersion: string;
  metadata: KubeObject['metadata'];
  spec: { hosts?: string[]; gateways?: string[]; http: Json[] };
}

const istioCanary = (overrides: Partial<CanarySpec> = {}) =>
  aCanary({ provider: 'istio', service: aService(), ...overrides });

function render(canary: CanarySpec, traffic: Partial<Traffic> = {}): KubeObject[] {
  return istioRouter.routes({
    canary,
    target: aTarget().object,
    traffic: { weight: 0, mirrored: false, ...traffic },
  });
}

const virtualService = (canary: CanarySpec, traffic: Partial<Traffic> = {}) =>
  render(canary, traffic)[2] as unknown as VirtualService;

/** Each HTTP route as `match -> host=weight,…`, to read a table of rules at a glance. */
const routes = (vs: VirtualService) =>
  vs.spec.http.map((rule) =>
    (rule.route as { destination: { host: string }; weight: number }[])
      .map((r) => `${r.destination.host}=${r.weight}`)
      .join(','),
  );

const abMatch: RequestMatch[] = [{ headers: { 'x-user-type': { exact: 'test' } } }];

describe('the Istio router', () => {
  it('writes a DestinationRule for primary and canary and a VirtualService on the mesh, as Flagger does', () => {
    const [primaryRule, canaryRule, vs] = render(istioCanary(), { weight: 20 });

    expect([primaryRule, canaryRule].map((o) => [o?.kind, o?.metadata.name, o?.spec])).toEqual([
      ['DestinationRule', 'podinfo-primary', { host: 'podinfo-primary' }],
      ['DestinationRule', 'podinfo-canary', { host: 'podinfo-canary' }],
    ]);
    expect(vs).toEqual({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: {
        name: 'podinfo',
        namespace: 'test',
        labels: { 'app.kubernetes.io/managed-by': 'gitcanary', 'gitcanary.dev/canary': 'podinfo' },
      },
      spec: {
        hosts: ['podinfo'],
        gateways: ['mesh'],
        http: [
          {
            route: [
              { destination: { host: 'podinfo-primary' }, weight: 80 },
              { destination: { host: 'podinfo-canary' }, weight: 20 },
            ],
          },
        ],
      },
    });
    expect(istioRouter.routeRefs(istioCanary()).map((r) => `${r.kind}/${r.name}`)).toEqual([
      'DestinationRule/podinfo-primary',
      'DestinationRule/podinfo-canary',
      'VirtualService/podinfo',
    ]);
  });

  it.each<[string, Partial<CanarySpec['service']>, string[], string[]]>([
    ['no hosts or gateways', {}, ['podinfo'], ['mesh']],
    ['a public host', { hosts: ['app.example.com'] }, ['app.example.com', 'podinfo'], ['mesh']],
    [
      'the apex among the hosts',
      { hosts: ['podinfo', 'app.example.com'] },
      ['podinfo', 'app.example.com'],
      ['mesh'],
    ],
    ['a wildcard host', { hosts: ['*'] }, ['*'], ['mesh']],
    [
      'a gateway without the mesh',
      { gateways: ['istio-system/public-gateway'] },
      ['podinfo'],
      ['istio-system/public-gateway'],
    ],
    [
      'a gateway and the mesh',
      { gateways: ['istio/public-gateway', 'mesh'] },
      ['podinfo'],
      ['istio/public-gateway', 'mesh'],
    ],
  ])(
    'with %s, adds the apex to the hosts and the mesh only when no gateway is given',
    (_, service, hosts, gateways) => {
      const vs = virtualService(istioCanary({ service: aService(service) }));

      expect(vs.spec.hosts).toEqual(hosts);
      expect(vs.spec.gateways).toEqual(gateways);
    },
  );

  it("renders Flagger's own test Canary (router_test.go newTestCanary) as Flagger's Istio router does", () => {
    // service: match with name, uri prefix, method and ignoreUriCase; headers; CORS; retries; gateways;
    // portDiscovery with a gateway first, so the destinations name the port.
    const canary = istioCanary({
      service: aService({
        port: 9898,
        portDiscovery: true,
        gateways: ['istio/public-gateway', 'mesh'],
        headers: {
          request: { add: { 'x-envoy-upstream-rq-timeout-ms': '15000' }, remove: ['test'] },
          response: { remove: ['token'] },
        },
        corsPolicy: { allowMethods: ['GET', 'POST'] },
        match: [
          {
            uri: { prefix: '/podinfo' },
            method: { exact: 'GET' },
            istio: { name: 'podinfo', ignoreUriCase: true },
          },
        ],
        retries: { attempts: 10, perTryTimeout: '30s', retryOn: 'connect-failure,gateway-error' },
      }),
    });

    const vs = virtualService(canary, { weight: 10 });

    expect(vs.spec).toEqual({
      hosts: ['podinfo'],
      gateways: ['istio/public-gateway', 'mesh'],
      http: [
        {
          match: [
            { name: 'podinfo', uri: { prefix: '/podinfo' }, method: { exact: 'GET' }, ignoreUriCase: true },
          ],
          retries: { attempts: 10, perTryTimeout: '30s', retryOn: 'connect-failure,gateway-error' },
          corsPolicy: { allowMethods: ['GET', 'POST'] },
          headers: {
            request: { add: { 'x-envoy-upstream-rq-timeout-ms': '15000' }, remove: ['test'] },
            response: { remove: ['token'] },
          },
          route: [
            { destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 90 },
            { destination: { host: 'podinfo-canary', port: { number: 9898 } }, weight: 10 },
          ],
        },
      ],
    });
  });

  it('puts rewrite and timeout on the route, and the traffic policy on both DestinationRules', () => {
    const trafficPolicy = { tls: { mode: 'ISTIO_MUTUAL' }, loadBalancer: { simple: 'LEAST_REQUEST' } };
    const canary = istioCanary({
      service: aService({
        rewrite: { uri: '/v2', authority: 'api.example.com' },
        timeout: '15s',
        trafficPolicy,
      }),
    });

    const [primaryRule, canaryRule, vs] = render(canary);

    expect([primaryRule?.spec, canaryRule?.spec]).toEqual([
      { host: 'podinfo-primary', trafficPolicy },
      { host: 'podinfo-canary', trafficPolicy },
    ]);
    expect((vs as unknown as VirtualService).spec.http[0]).toMatchObject({
      rewrite: { uri: '/v2', authority: 'api.example.com' },
      timeout: '15s',
    });
  });

  it("routes A/B as Flagger's router_test newTestABTest: matched requests split, the rest to the primary", () => {
    const canary = istioCanary({ analysis: anAnalysis({ iterations: 2, match: abMatch }) });

    const vs = virtualService(canary, { weight: 100 });

    expect(vs.spec.http.map((rule) => rule.match)).toEqual([
      [{ headers: { 'x-user-type': { exact: 'test' } } }],
      undefined,
    ]);
    expect(routes(vs)).toEqual(['podinfo-primary=0,podinfo-canary=100', 'podinfo-primary=100']);
  });

  it("lays the A/B conditions over the route's own matches: its path stays, the analysis headers and query join", () => {
    const canary = istioCanary({
      service: aService({ match: [{ uri: { prefix: '/api' } }, { uri: { exact: '/health' } }] }),
      analysis: anAnalysis({
        iterations: 2,
        match: [
          { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
          { queryParams: { canary: { exact: 'yes' } }, istio: { sourceLabels: { app: 'frontend' } } },
        ],
      }),
    });

    const vs = virtualService(canary, { weight: 100 });

    expect(vs.spec.http[0]?.match).toEqual([
      { uri: { prefix: '/api' }, headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
      { uri: { exact: '/health' }, headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
      {
        uri: { prefix: '/api' },
        queryParams: { canary: { exact: 'yes' } },
        sourceLabels: { app: 'frontend' },
      },
      {
        uri: { exact: '/health' },
        queryParams: { canary: { exact: 'yes' } },
        sourceLabels: { app: 'frontend' },
      },
    ]);
    expect(vs.spec.http[1]?.match).toEqual([{ uri: { prefix: '/api' } }, { uri: { exact: '/health' } }]);
  });

  it('writes the Istio-only match conditions as they are', () => {
    const match: RequestMatch = {
      uri: { regex: '^/v[0-9]+/' },
      headers: { 'x-debug': { prefix: 'on' } },
      istio: {
        authority: { exact: 'api.example.com' },
        scheme: { exact: 'https' },
        port: 8080,
        sourceNamespace: 'frontend',
        gateways: ['mesh'],
        withoutHeaders: { 'x-skip': { exact: 'true' } },
      },
    };

    const vs = virtualService(istioCanary({ service: aService({ match: [match] }) }));

    expect(vs.spec.http[0]?.match).toEqual([
      {
        uri: { regex: '^/v[0-9]+/' },
        headers: { 'x-debug': { prefix: 'on' } },
        authority: { exact: 'api.example.com' },
        scheme: { exact: 'https' },
        port: 8080,
        sourceNamespace: 'frontend',
        gateways: ['mesh'],
        withoutHeaders: { 'x-skip': { exact: 'true' } },
      },
    ]);
  });

  it.each([
    [undefined, { mirror: { host: 'podinfo-canary' } }],
    [25, { mirror: { host: 'podinfo-canary' }, mirrorPercentage: { value: 25 } }],
  ])('mirrors to the canary at a mirrored step (mirrorWeight %s), as Flagger', (mirrorWeight, expected) => {
    const canary = istioCanary({
      analysis: anAnalysis({
        stepWeight: 10,
        maxWeight: 50,
        mirror: true,
        ...(mirrorWeight ? { mirrorWeight } : {}),
      }),
    });

    const [rule] = virtualService(canary, { mirrored: true }).spec.http;

    expect(rule).toMatchObject(expected);
    expect(virtualService(canary).spec.http[0]?.mirror).toBeUndefined();
  });

  describe('session affinity (as Flagger: sticky routes first, cookies set by the weighted route)', () => {
    const affinity = istioCanary({
      service: aService({ match: [{ uri: { prefix: '/app' } }] }),
      analysis: anAnalysis({
        stepWeight: 10,
        maxWeight: 50,
        sessionAffinity: { cookieName: 'canary-visitor', primaryCookieName: 'primary-visitor', maxAge: 3600 },
      }),
    });

    it('pins canary and primary visitors by cookie while the canary has weight', () => {
      const vs = virtualService(affinity, {
        weight: 10,
        cookies: { canary: 'canary-visitor=abc123', primary: 'primary-visitor=def456' },
      });

      expect(vs.spec.http.map((rule) => rule.match)).toEqual([
        [{ uri: { prefix: '/app' }, headers: { cookie: { regex: '.*canary-visitor.*abc123.*' } } }],
        [{ uri: { prefix: '/app' }, headers: { cookie: { regex: '.*primary-visitor.*def456.*' } } }],
        [{ uri: { prefix: '/app' } }],
      ]);
      expect(routes(vs)).toEqual([
        'podinfo-primary=0,podinfo-canary=100',
        'podinfo-primary=100,podinfo-canary=0',
        'podinfo-primary=90,podinfo-canary=10',
      ]);
      expect((vs.spec.http[2]?.route as Json[]).map((r) => r.headers)).toEqual([
        { response: { add: { 'Set-Cookie': 'primary-visitor=def456; Max-Age=60' } } },
        { response: { add: { 'Set-Cookie': 'canary-visitor=abc123; Max-Age=3600' } } },
      ]);
    });

    it("expires a finished run's cookie on the sticky route only, beside service.headers", () => {
      const canary = {
        ...affinity,
        service: aService({ headers: { response: { set: { 'x-a': '1' } } } }),
      };

      const vs = virtualService(canary, { cookies: { expired: 'canary-visitor=abc123' } });

      expect(vs.spec.http.map((rule) => rule.headers)).toEqual([
        { response: { set: { 'x-a': '1' }, add: { 'Set-Cookie': 'canary-visitor=abc123; Max-Age=-1' } } },
        { response: { set: { 'x-a': '1' } } },
      ]);
      expect(routes(vs)).toEqual([
        'podinfo-primary=100,podinfo-canary=0',
        'podinfo-primary=100,podinfo-canary=0',
      ]);
    });
  });

  it('writes a delegate VirtualService without hosts or gateways, naming the port with portDiscovery (Flagger)', () => {
    const canary = istioCanary({ service: aService({ delegation: true, portDiscovery: true }) });

    const vs = virtualService(canary, { weight: 30 });

    expect(vs.spec.hosts).toBeUndefined();
    expect(vs.spec.gateways).toBeUndefined();
    expect((vs.spec.http[0]?.route as Json[])[0]).toEqual({
      destination: { host: 'podinfo-primary', port: { number: 9898 } },
      weight: 70,
    });
  });

  it('puts the apex metadata on the VirtualService only', () => {
    const canary = istioCanary({
      service: aService({ apex: { labels: { team: 'web' }, annotations: { note: 'apex' } } }),
    });

    const [primaryRule, , vs] = render(canary);

    expect(vs?.metadata).toMatchObject({ labels: { team: 'web' }, annotations: { note: 'apex' } });
    expect(primaryRule?.metadata.labels).not.toHaveProperty('team');
  });

  describe('check', () => {
    it.each([
      [{ headers: { h: { suffix: 'a' } } }, 'spec.analysis.match[0].headers.h.suffix'],
      [{ uri: { exact: '/a', prefix: '/b' } }, 'spec.analysis.match[0].uri'],
      [{ istio: { authority: { suffix: '.example.com' } } }, 'spec.analysis.match[0].authority.suffix'],
      [{ istio: { withoutHeaders: { h: {} } } }, 'spec.analysis.match[0].withoutHeaders.h'],
    ])('refuses a match Istio cannot express: %j', (match, field) => {
      const canary = istioCanary({ analysis: anAnalysis({ iterations: 2, match: [match] }) });

      expect(istioRouter.check(canary, 'spec.analysis').map((i) => i.field)).toEqual([field]);
    });

    it.each<Partial<CanarySpec['service']>>([{ hosts: ['app.example.com'] }, { gateways: ['public'] }])(
      'refuses delegation with %j, as Flagger refuses to reconcile it',
      (service) => {
        const canary = istioCanary({ service: aService({ delegation: true, ...service }) });

        expect(istioRouter.check(canary, 'spec.analysis')).toMatchObject([
          { field: 'spec.service.delegation' },
        ]);
      },
    );

    it('accepts what it can express', () => {
      const canary = istioCanary({
        service: aService({ match: [{ uri: { prefix: '/' }, method: { regex: 'GET|HEAD' } }] }),
        analysis: anAnalysis({ iterations: 2, match: [{ headers: { h: { prefix: 'a' } } }] }),
      });

      expect(istioRouter.check(canary, 'spec.analysis')).toEqual([]);
    });
  });

  describe('readiness', () => {
    const objects = render(istioCanary());
    const withStatus = (status: Json, generation = 3): (KubeObject | undefined)[] => [
      objects[0],
      objects[1],
      { ...(objects[2] as KubeObject), metadata: { name: 'podinfo', namespace: 'test', generation }, status },
    ];
    const reconciled = (status: string, observedGeneration: number) => ({
      conditions: [{ type: 'Reconciled', status, observedGeneration }],
    });
    const analysed = (level: string) => ({
      observedGeneration: 3,
      validationMessages: [{ level, type: { code: 'IST0101', name: 'ReferencedResourceNotFound' } }],
    });

    it.each<[string, (KubeObject | undefined)[], string]>([
      ['objects Istio wrote no status on (status off, as Flagger never reads it)', withStatus({}), 'ready'],
      ['a VirtualService Istio distributed', withStatus(reconciled('True', 3)), 'ready'],
      ['a VirtualService not yet distributed', withStatus(reconciled('False', 3)), 'pending'],
      ['an older generation distributed', withStatus(reconciled('True', 2)), 'pending'],
      ['an analyzer error', withStatus(analysed('ERROR')), 'rejected'],
      ['an analyzer warning', withStatus(analysed('WARNING')), 'ready'],
      ['a missing DestinationRule', [objects[0], undefined, objects[2]], 'pending'],
      ['no VirtualService', [objects[0], objects[1], undefined], 'pending'],
    ])('of %s is %s', (_, live, expected) => {
      expect(istioRouter.readiness(istioCanary(), live).state).toBe(expected);
    });

    it('names the object and the analyzer message when rejected or pending', () => {
      expect(istioRouter.readiness(istioCanary(), withStatus(analysed('ERROR')))).toEqual({
        state: 'rejected',
        reason: 'VirtualService podinfo has Istio analysis errors (IST0101 ReferencedResourceNotFound)',
      });
      expect(istioRouter.readiness(istioCanary(), [objects[0], undefined, objects[2]])).toEqual({
        state: 'pending',
        reason: 'DestinationRule podinfo-canary is not in the cluster yet',
      });
    });
  });
});
