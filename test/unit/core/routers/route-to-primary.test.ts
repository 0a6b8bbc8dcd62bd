// What a Canary deleted from git leaves behind (src/core/removal.ts): the routes of its generated file, read
// without the Canary, are recognised by the router that wrote them and sent all to the primary. A route sent
// to the primary is what that router renders at weight 0 with no mirror.
import { describe, expect, it } from 'vitest';
import type { CanarySpec, KubeObject } from '../../../../src/core/model.js';
import { routerOf, routerOwning } from '../../../../src/core/routers/router-registry.js';
import type { Traffic } from '../../../../src/core/routers/router.js';
import { aCanary, anAnalysis, aService, aTarget } from '../builders.js';
import { anIngress, anIngressCanary } from './ingress-fixtures.js';

const services = { primary: 'podinfo-primary', canary: 'podinfo-canary' };
const ab = anAnalysis({ match: [{ headers: { 'x-user': { exact: 'test' } } }] });

const cases: [string, CanarySpec, Partial<Traffic>][] = [
  ['gatewayapi', aCanary(), { mirrored: true }],
  ['istio', aCanary({ provider: 'istio', service: aService() }), {}],
  ['istio mirrored', aCanary({ provider: 'istio', service: aService(), analysis: ab }), { mirrored: true }],
  ['istio A/B', aCanary({ provider: 'istio', service: aService(), analysis: ab }), {}],
  ['smi v1alpha1', aCanary({ provider: 'smi', providerVersion: 'v1alpha1', service: aService() }), {}],
  ['smi v1alpha3', aCanary({ provider: 'smi', providerVersion: 'v1alpha3', service: aService() }), {}],
  ['contour', aCanary({ provider: 'contour', service: aService() }), {}],
  ['contour A/B', aCanary({ provider: 'contour', service: aService(), analysis: ab }), {}],
  ['nginx', anIngressCanary('nginx'), {}],
  ['nginx A/B', anIngressCanary('nginx', { match: [{ headers: { 'x-user': { exact: 'test' } } }] }), {}],
  ['traefik', aCanary({ provider: 'traefik', service: aService() }), {}],
  ['skipper', anIngressCanary('skipper'), {}],
];

function routes(canary: CanarySpec, traffic: Partial<Traffic>): KubeObject[] {
  return routerOf(canary.provider).routes({
    canary,
    target: aTarget().object,
    traffic: { weight: 30, mirrored: false, ...traffic },
    references: { ingress: anIngress({ 'zalando.org/skipper-predicate': 'Host("app")' }) },
  });
}

describe('a route read back without its Canary', () => {
  it.each(cases)('%s: is owned by the router that rendered it', (_, canary, traffic) => {
    const owners = routes(canary, traffic).map((route) => routerOwning(route)?.name);

    expect(new Set(owners)).toEqual(new Set([canary.provider]));
  });

  it.each(cases)(
    '%s: sent to the primary, is what the router renders at weight 0 with no mirror',
    (_, canary, traffic) => {
      const midRun = routes(canary, traffic);

      const toPrimary = midRun.map((route) => routerOwning(route)?.toPrimary(route, services));

      expect(toPrimary).toEqual(routes(canary, { weight: 0, mirrored: false }));
      expect(toPrimary).not.toEqual(midRun);
    },
  );

  it('istio: the sticky routes of session affinity go to the primary too', () => {
    const canary = aCanary({
      provider: 'istio',
      service: aService(),
      analysis: anAnalysis({ sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 60 } }),
    });
    const [, , vs] = routes(canary, { cookies: { canary: 'flagger-cookie=abc', primary: 'p=def' } });

    const sent = routerOwning(vs as KubeObject)?.toPrimary(vs as KubeObject, services);

    const http = (sent?.spec as { http: { route: { destination: { host: string }; weight: number }[] }[] })
      .http;
    expect(http.map((rule) => rule.route.map((r) => `${r.destination.host}=${r.weight}`))).toEqual([
      ['podinfo-primary=100', 'podinfo-canary=0'],
      ['podinfo-primary=100', 'podinfo-canary=0'],
      ['podinfo-primary=100', 'podinfo-canary=0'],
    ]);
  });

  it('is owned by no router when no router writes it (the Ingress a canary Ingress is made from, too)', () => {
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      { apiVersion: 'example.com/v1', kind: 'VirtualService', metadata: { name: 'x' } },
      anIngress(),
    ];

    expect(objects.map((o) => routerOwning(o))).toEqual([undefined, undefined, undefined]);
  });
});
