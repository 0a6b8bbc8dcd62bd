// The traefik router against Flagger's TraefikRouter (pkg/router/traefik.go and its test): a TraefikService
// named after the apex, the primary alone at rest, primary and canary weighted during a run.
import { describe, expect, it } from 'vitest';
import type { CanarySpec, KubeObject } from '../../../../src/core/model.js';
import { traefikRouter } from '../../../../src/core/routers/traefik.js';
import { aCanary, aService, aTarget } from '../builders.js';

const traefikCanary = (service: Partial<CanarySpec['service']> = {}) =>
  aCanary({ provider: 'traefik', service: aService(service) });

function traefikService(canary: CanarySpec, weight: number): KubeObject {
  const [object] = traefikRouter.routes({
    canary,
    target: aTarget().object,
    traffic: { weight, mirrored: false },
  });
  if (!object) throw new Error('no TraefikService');
  return object;
}

const services = (object: KubeObject) =>
  (object.spec as { weighted: { services: unknown[] } }).weighted.services;

describe('the traefik router', () => {
  it('lists only the primary, at weight 100, when the canary has no share (initialisation, promotion)', () => {
    const object = traefikService(traefikCanary(), 0);

    expect(object).toMatchObject({ apiVersion: 'traefik.io/v1alpha1', kind: 'TraefikService' });
    expect(object.metadata.name).toBe('podinfo');
    expect(services(object)).toEqual([
      { name: 'podinfo-primary', namespace: 'test', port: 9898, weight: 100 },
    ]);
  });

  it.each([
    [10, 90],
    [50, 50],
    [100, 0],
  ])('weights the canary %i and the primary %i during a run', (weight, primary) => {
    expect(services(traefikService(traefikCanary(), weight))).toEqual([
      { name: 'podinfo-primary', namespace: 'test', port: 9898, weight: primary },
      { name: 'podinfo-canary', namespace: 'test', port: 9898, weight },
    ]);
  });

  it('is named after the apex (service.name) and carries service.apex metadata, as Flagger writes it', () => {
    const canary = traefikCanary({
      apexName: 'web',
      apex: { labels: { team: 'web' }, annotations: { note: 'apex' } },
    });

    const { metadata } = traefikService(canary, 0);

    expect(metadata).toEqual({
      name: 'web',
      namespace: 'test',
      labels: { team: 'web', 'app.kubernetes.io/managed-by': 'gitcanary', 'gitcanary.dev/canary': 'podinfo' },
      annotations: { note: 'apex' },
    });
  });

  it("sends to the target's first port when service.port is not given", () => {
    const first = services(traefikService(traefikCanary({ port: undefined }), 0))[0];

    expect(first).toMatchObject({ port: 9898 });
  });

  it('reads the TraefikService back by name, and holds the step until it exists', () => {
    const canary = traefikCanary();

    expect(traefikRouter.routeRefs(canary)).toEqual([
      { apiVersion: 'traefik.io/v1alpha1', kind: 'TraefikService', namespace: 'test', name: 'podinfo' },
    ]);
    expect(traefikRouter.readiness(canary, [undefined])).toMatchObject({ state: 'pending' });
    expect(traefikRouter.readiness(canary, [traefikService(canary, 0)])).toEqual({ state: 'ready' });
  });
});
