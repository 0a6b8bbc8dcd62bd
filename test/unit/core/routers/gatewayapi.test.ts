import { describe, expect, it } from 'vitest';
import { gatewayApiRouter } from '../../../../src/core/routers/gatewayapi.js';
import type { CanarySpec, KubeObject, RequestMatch } from '../../../../src/core/model.js';
import type { Traffic } from '../../../../src/core/routers/router.js';
import { aCanary, anAnalysis, aService, aTarget } from '../builders.js';

type Json = Record<string, unknown>;
interface Route {
  apiVersion: string;
  metadata: KubeObject['metadata'];
  spec: { parentRefs: Json[]; hostnames?: string[]; rules: Json[] };
}

function route(canary: CanarySpec, traffic: Partial<Traffic> = {}): Route {
  const [object] = gatewayApiRouter.routes({
    canary,
    target: aTarget().object,
    traffic: { weight: 0, mirrored: false, ...traffic },
  });
  return object as unknown as Route;
}

const backends = (rule: Json | undefined) =>
  (rule?.backendRefs as Json[]).map((b) => `${String(b.name)}=${String(b.weight)}`);
const abMatch: RequestMatch[] = [
  { headers: { 'user-agent': { regex: '.*Firefox.*' } } },
  { headers: { cookie: { exact: 'insider' } } },
];

describe('the Gateway API router', () => {
  it('splits one rule between primary and canary, with every default the API server would fill in written out', () => {
    const r = route(aCanary(), { weight: 20 });

    expect(r.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(r.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'gateways', name: 'public' },
    ]);
    expect(r.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 80 },
          { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 20 },
        ],
      },
    ]);
  });

  it('writes a v1beta1 HTTPRoute for gatewayapi:v1beta1', () => {
    expect(route(aCanary({ providerVersion: 'v1beta1' })).apiVersion).toBe(
      'gateway.networking.k8s.io/v1beta1',
    );
  });

  it('attaches to a Service for GAMMA mesh routing, with group, kind and port', () => {
    const canary = aCanary({
      service: aService({ gatewayRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }] }),
    });

    expect(route(canary).spec.parentRefs).toEqual([
      { group: '', kind: 'Service', name: 'podinfo', port: 9898 },
    ]);
  });

  it("sends to the target's first port when service.port is not given", () => {
    const canary = aCanary({ service: aService({ port: undefined, gatewayRefs: [{ name: 'gw' }] }) });

    expect((route(canary).spec.rules[0]?.backendRefs as Json[])[0]?.port).toBe(9898);
  });

  it('routes A/B: matched requests through the weighted rule, the rest to the primary alone', () => {
    const canary = aCanary({ analysis: anAnalysis({ iterations: 5, match: abMatch }) });

    const r = route(canary, { weight: 100 });

    expect(r.spec.rules.map((rule) => rule.matches)).toEqual([
      [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ name: 'user-agent', type: 'RegularExpression', value: '.*Firefox.*' }],
        },
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ name: 'cookie', type: 'Exact', value: 'insider' }],
        },
      ],
      [{ path: { type: 'PathPrefix', value: '/' } }],
    ]);
    expect(r.spec.rules.map(backends)).toEqual([
      ['podinfo-primary=0', 'podinfo-canary=100'],
      ['podinfo-primary=100'],
    ]);
  });

  it('keeps the route matches (service.match) on every rule and merges the A/B headers into them', () => {
    const canary = aCanary({
      service: aService({
        gatewayRefs: [{ name: 'gw' }],
        match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' } }, { uri: { exact: '/health' } }],
      }),
      analysis: anAnalysis({ iterations: 5, match: [{ queryParams: { canary: { exact: 'yes' } } }] }),
    });

    const r = route(canary, { weight: 100 });

    expect(r.spec.rules[0]?.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/api' },
        method: 'GET',
        queryParams: [{ name: 'canary', type: 'Exact', value: 'yes' }],
      },
      {
        path: { type: 'Exact', value: '/health' },
        queryParams: [{ name: 'canary', type: 'Exact', value: 'yes' }],
      },
    ]);
    expect(r.spec.rules[1]?.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/api' }, method: 'GET' },
      { path: { type: 'Exact', value: '/health' } },
    ]);
  });

  it('adds header modifiers, a URL rewrite, extra mirrors and timeouts to each rule', () => {
    const canary = aCanary({
      service: aService({
        gatewayRefs: [{ name: 'gw' }],
        headers: {
          request: { set: { 'x-b': '2', 'x-a': '1' }, remove: ['x-debug'] },
          response: { add: { 'x-served-by': 'gitcanary' } },
        },
        rewrite: { uri: '/v2', type: 'ReplacePrefixMatch' },
        mirror: [{ backendRef: { name: 'shadow', port: 8080 }, percent: 10 }],
        timeout: '30s',
        backendTimeout: '10s',
      }),
    });

    const [rule] = route(canary).spec.rules;

    expect(rule?.filters).toEqual([
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: {
          set: [
            { name: 'x-a', value: '1' },
            { name: 'x-b', value: '2' },
          ],
          remove: ['x-debug'],
        },
      },
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'gitcanary' }] },
      },
      { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } },
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'shadow', port: 8080 },
          percent: 10,
        },
      },
    ]);
    expect(rule?.timeouts).toEqual({ request: '30s', backendRequest: '10s' });
  });

  it('mirrors to the canary at a mirrored step, at mirrorWeight percent', () => {
    const canary = aCanary({
      analysis: anAnalysis({ stepWeight: 10, maxWeight: 50, mirror: true, mirrorWeight: 25 }),
    });

    const [rule] = route(canary, { mirrored: true }).spec.rules;

    expect(rule?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 },
          percent: 25,
        },
      },
    ]);
    expect(backends(rule)).toEqual(['podinfo-primary=100', 'podinfo-canary=0']);
  });

  describe('session affinity', () => {
    const affinity = aCanary({
      analysis: anAnalysis({
        stepWeight: 10,
        maxWeight: 50,
        sessionAffinity: {
          cookieName: 'canary-visitor',
          primaryCookieName: 'primary-visitor',
          maxAge: 3600,
          secure: true,
        },
      }),
    });

    it('pins a canary visitor by cookie while the canary has weight, and sets the cookies on responses', () => {
      const r = route(affinity, {
        weight: 10,
        cookies: { canary: 'canary-visitor=abc123', primary: 'primary-visitor=def456' },
      });

      expect(r.spec.rules.map((rule) => (rule.matches as Json[])[0]?.headers)).toEqual([
        [{ name: 'Cookie', type: 'RegularExpression', value: '.*canary-visitor.*abc123.*' }],
        [{ name: 'Cookie', type: 'RegularExpression', value: '.*primary-visitor.*def456.*' }],
        undefined,
      ]);
      expect(r.spec.rules.map(backends)).toEqual([
        ['podinfo-primary=0', 'podinfo-canary=100'],
        ['podinfo-primary=100', 'podinfo-canary=0'],
        ['podinfo-primary=90', 'podinfo-canary=10'],
      ]);
      const weighted = r.spec.rules[2]?.backendRefs as Json[];
      expect(weighted.map((b) => b.filters)).toEqual([
        [
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: {
              add: [{ name: 'Set-Cookie', value: 'primary-visitor=def456; Max-Age=60; Secure' }],
            },
          },
        ],
        [
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: {
              add: [{ name: 'Set-Cookie', value: 'canary-visitor=abc123; Max-Age=3600; Secure' }],
            },
          },
        ],
      ]);
    });

    it('expires the cookie of a finished run in the same response header filter as service.headers.response', () => {
      const canary = {
        ...affinity,
        service: aService({ gatewayRefs: [{ name: 'gw' }], headers: { response: { set: { 'x-a': '1' } } } }),
      };

      const [expiring] = route(canary, { cookies: { expired: 'canary-visitor=abc123' } }).spec.rules;

      expect(expiring?.filters).toEqual([
        {
          type: 'ResponseHeaderModifier',
          responseHeaderModifier: {
            set: [{ name: 'x-a', value: '1' }],
            add: [{ name: 'Set-Cookie', value: 'canary-visitor=abc123; Max-Age=-1' }],
          },
        },
      ]);
    });
  });

  it('puts the apex metadata on the route, ours last, and leaves the unmanaged keys out', () => {
    const canary = aCanary({
      service: aService({
        gatewayRefs: [{ name: 'gw' }],
        apex: { labels: { team: 'web', owner: 'other' }, annotations: { note: 'x', 'external/owned': 'y' } },
        unmanaged: { labels: ['owner'], annotations: ['external/owned'] },
      }),
    });

    expect(route(canary).metadata).toEqual({
      name: 'podinfo',
      namespace: 'test',
      labels: { team: 'web', 'app.kubernetes.io/managed-by': 'gitcanary', 'gitcanary.dev/canary': 'podinfo' },
      annotations: { note: 'x' },
    });
  });

  describe('check', () => {
    it.each([
      [{ headers: { h: { prefix: 'a' } } }, 'spec.analysis.match[0].headers.h.prefix'],
      [{ queryParams: { q: { suffix: 'a' } } }, 'spec.analysis.match[0].queryParams.q.suffix'],
      [{ method: { regex: 'GET|POST' } }, 'spec.analysis.match[0].method.regex'],
      [{ uri: { exact: '/a', prefix: '/b' } }, 'spec.analysis.match[0].uri'],
    ])('refuses a match Gateway API cannot express: %j', (match, field) => {
      const canary = aCanary({ analysis: anAnalysis({ iterations: 2, match: [match] }) });

      expect(gatewayApiRouter.check(canary, 'spec.analysis').map((i) => i.field)).toEqual([field]);
    });

    it('refuses a prefix rewrite the HTTPRoute schema would refuse (it needs exactly one prefix match)', () => {
      const rewrite = { uri: '/v2', type: 'ReplacePrefixMatch' };
      const without = aCanary({ service: aService({ gatewayRefs: [{ name: 'gw' }], rewrite }) });
      const withPrefix = aCanary({
        service: aService({ gatewayRefs: [{ name: 'gw' }], rewrite, match: [{ uri: { prefix: '/api' } }] }),
      });

      expect(gatewayApiRouter.check(without, 'spec.analysis')).toMatchObject([
        { field: 'spec.service.rewrite.type' },
      ]);
      expect(gatewayApiRouter.check(withPrefix, 'spec.analysis')).toEqual([]);
    });

    it('needs a parent to attach to', () => {
      const canary = aCanary({ service: aService() });

      expect(gatewayApiRouter.check(canary, 'spec.analysis')).toMatchObject([
        { field: 'spec.service.gatewayRefs' },
      ]);
    });
  });

  describe('readiness', () => {
    const withStatus = (conditions: Json[], generation = 3): KubeObject => ({
      ...(route(aCanary()) as unknown as KubeObject),
      metadata: { name: 'podinfo', namespace: 'test', generation },
      status: {
        parents: [{ parentRef: { name: 'public', namespace: 'gateways' }, controllerName: 'x', conditions }],
      },
    });

    it.each<[string, KubeObject | undefined, string]>([
      ['a route no parent reported on yet', withStatus([]), 'ready'],
      [
        'a route accepted at its generation',
        withStatus([{ type: 'Accepted', status: 'True', observedGeneration: 3 }]),
        'ready',
      ],
      [
        'a route accepted at an older generation',
        withStatus([{ type: 'Accepted', status: 'True', observedGeneration: 2 }]),
        'pending',
      ],
      [
        'a route its gateway refused',
        withStatus([
          { type: 'Accepted', status: 'False', observedGeneration: 3, reason: 'NotAllowedByListeners' },
        ]),
        'rejected',
      ],
      ['a route not in the cluster', undefined, 'pending'],
    ])('of %s is %s', (_, live, expected) => {
      expect(gatewayApiRouter.readiness(aCanary(), [live]).state).toBe(expected);
    });

    it('names the parent and its reason when refused', () => {
      const live = withStatus([
        {
          type: 'Accepted',
          status: 'False',
          observedGeneration: 3,
          reason: 'NotAllowedByListeners',
          message: 'no listener',
        },
      ]);

      expect(gatewayApiRouter.readiness(aCanary(), [live])).toEqual({
        state: 'rejected',
        reason:
          'HTTPRoute podinfo not accepted by Gateway gateways/public (NotAllowedByListeners: no listener)',
      });
    });
  });
});
