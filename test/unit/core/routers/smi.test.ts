import { describe, expect, it } from 'vitest';
import { smiRouter } from '../../../../src/core/routers/smi.js';
import type { CanarySpec, KubeObject } from '../../../../src/core/model.js';
import { aCanary, anAnalysis, aService, aTarget } from '../builders.js';

const smiCanary = (providerVersion: string, overrides: Partial<CanarySpec> = {}) =>
  aCanary({ provider: 'smi', providerVersion, service: aService(), ...overrides });

function split(canary: CanarySpec, weight: number): KubeObject {
  const [object] = smiRouter.routes({
    canary,
    target: aTarget().object,
    traffic: { weight, mirrored: false },
  });
  return object as KubeObject;
}

describe('the SMI router', () => {
  it.each([
    // Flagger's SmiRouter (linkerd, smi:v1alpha1) writes resource.Quantity weights: strings such as "90".
    ['v1alpha1', '10', '90'],
    ['v1alpha2', 10, 90],
    ['v1alpha3', 10, 90],
  ])(
    'writes a %s TrafficSplit as Flagger does: canary backend first, weights %j and %j',
    (version, canary, primary) => {
      const object = split(smiCanary(version), 10);

      expect(object).toEqual({
        apiVersion: `split.smi-spec.io/${version}`,
        kind: 'TrafficSplit',
        metadata: {
          name: 'podinfo',
          namespace: 'test',
          labels: { 'app.kubernetes.io/managed-by': 'gitcanary', 'gitcanary.dev/canary': 'podinfo' },
        },
        spec: {
          service: 'podinfo',
          backends: [
            { service: 'podinfo-canary', weight: canary },
            { service: 'podinfo-primary', weight: primary },
          ],
        },
      });
      expect(smiRouter.routeRefs(smiCanary(version))).toEqual([
        {
          apiVersion: `split.smi-spec.io/${version}`,
          kind: 'TrafficSplit',
          namespace: 'test',
          name: 'podinfo',
        },
      ]);
    },
  );

  it('splits the first of service.hosts when given, as Flagger, and is named after the apex', () => {
    const canary = smiCanary('v1alpha2', {
      service: aService({ apexName: 'shop', hosts: ['shop.test.svc.cluster.local', 'other'] }),
    });

    const object = split(canary, 0);

    expect(object.metadata.name).toBe('shop');
    expect(object.spec).toMatchObject({ service: 'shop.test.svc.cluster.local' });
  });

  it('puts the apex metadata on the TrafficSplit', () => {
    const canary = smiCanary('v1alpha1', {
      service: aService({ apex: { labels: { team: 'web' }, annotations: {} } }),
    });

    expect(split(canary, 0).metadata.labels).toMatchObject({ team: 'web' });
  });

  describe('check', () => {
    it('accepts a weighted or blue/green Canary', () => {
      expect(smiRouter.check(smiCanary('v1alpha1'), 'spec.analysis')).toEqual([]);
      expect(
        smiRouter.check(smiCanary('v1alpha1', { analysis: anAnalysis({ iterations: 3 }) }), 'spec.analysis'),
      ).toEqual([]);
    });
  });

  it.each([
    ['in the cluster', true, 'ready'],
    ['not in the cluster', false, 'pending'],
  ])('is ready once the TrafficSplit is %s (it has no status)', (_, present, expected) => {
    const canary = smiCanary('v1alpha2');
    const live = present ? [split(canary, 0)] : [undefined];

    expect(smiRouter.readiness(canary, live).state).toBe(expected);
  });
});
