// The skipper router against Flagger's SkipperRouter tests (pkg/router/skipper_test.go): the primary path
// followed by its canary copy, the backend weights of each step, and the predicate that puts the canary
// Ingress first while it has a share and turns it off at weight 0.
import { describe, expect, it } from 'vitest';
import { insertPredicate, skipperRouter } from '../../../../src/core/routers/skipper.js';
import { anIngress, anIngressCanary, routed } from './ingress-fixtures.js';

type Paths = { backend: { service: { name: string; port: unknown } } }[];
const pathsOf = (spec: unknown) =>
  (spec as { rules: { http: { paths: Paths } }[] }).rules[0]?.http.paths ?? [];

describe('the skipper router', () => {
  it('follows each path to the primary with a copy to the canary, at the end of the rule as Flagger appends it', () => {
    const ingress = routed(anIngressCanary('skipper'), { weight: 0 });

    expect(ingress.metadata.name).toBe('podinfo-canary');
    expect(
      pathsOf(ingress.spec).map((p) => `${p.backend.service.name} ${JSON.stringify(p.backend.service.port)}`),
    ).toEqual([
      'podinfo-primary {"number":9898}',
      'assets {"name":"http"}',
      'podinfo-canary {"number":9898}',
    ]);
  });

  it.each([
    [0, 100, 'False()'],
    [10, 90, 'Weight(100)'],
    [30, 70, 'Weight(100)'],
    [85, 15, 'Weight(100)'],
    [100, 0, 'Weight(100)'],
  ])('weights canary %i and primary %i, with the predicate %s', (weight, primary, predicate) => {
    const { metadata } = routed(anIngressCanary('skipper'), { weight });

    expect(JSON.parse(metadata.annotations?.['zalando.org/backend-weights'] ?? '')).toEqual({
      'podinfo-primary': primary,
      'podinfo-canary': weight,
    });
    expect(metadata.annotations?.['zalando.org/skipper-predicate']).toBe(predicate);
  });

  it("writes the weights as Go's encoder writes Flagger's map: sorted keys, no spaces", () => {
    const { metadata } = routed(anIngressCanary('skipper'), { weight: 20 });

    expect(metadata.annotations?.['zalando.org/backend-weights']).toBe(
      '{"podinfo-canary":20,"podinfo-primary":80}',
    );
  });

  it("keeps the Ingress's own predicates after its own, and its other annotations but kubectl's note", () => {
    const source = anIngress({ 'zalando.org/skipper-predicate': 'Method("GET") && False()' });

    const { metadata } = routed(anIngressCanary('skipper'), { weight: 10 }, source);

    expect(metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'zalando.org/backend-weights': '{"podinfo-canary":10,"podinfo-primary":90}',
      'zalando.org/skipper-predicate': 'Weight(100) && Method("GET")',
    });
  });

  it.each([
    [
      'Host(/^my-host-header\\.example\\.org$/) && Method("GET")',
      'Weight(100)',
      'Weight(100) && Host(/^my-host-header\\.example\\.org$/) && Method("GET")',
    ],
    ['', 'Weight(100)', 'Weight(100)'],
    ['Weight(100) && Path("/hello")', 'Weight(100)', 'Weight(100) && Path("/hello")'],
    ['Path("/hello")&&False()', 'False()', 'False() && Path("/hello")'],
    ['Host(/x/) &&  False() && Path("/hello")', 'Weight(100)', 'Weight(100) && Host(/x/) && Path("/hello")'],
  ])('inserts the predicate first into %j as Flagger does', (raw, insert, expected) => {
    expect(insertPredicate(raw, insert)).toBe(expected);
  });

  it('requires an ingressRef and holds the step until the canary Ingress exists', () => {
    const canary = anIngressCanary('skipper');
    const without = { ...canary };
    delete without.ingressRef;

    expect(skipperRouter.check(without, 'spec.analysis')).toMatchObject([{ field: 'spec.ingressRef' }]);
    expect(skipperRouter.readiness(canary, [undefined])).toMatchObject({ state: 'pending' });
  });
});
