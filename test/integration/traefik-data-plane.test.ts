import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CustomObjectsApi, KubernetesObjectApi } from '@kubernetes/client-node';
import {
  createLoopbackService,
  sendRequests,
  startBackend,
  type Backend,
  type TrafficSample,
} from '../../harness/loopback-backends.js';
import { waitUntil } from '../../harness/owned-process.js';
import { instantQuery } from '../../harness/prometheus.js';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';
import {
  createTraefikGateway,
  routeParentConditions,
  startTraefik,
  waitForRoute,
  type Traefik,
} from '../../harness/traefik.js';

const kc = testKubeConfig();
const objects = kc.makeApiClient(CustomObjectsApi);
const requests = 400;

function report(what: string, sample: TrafficSample): void {
  const shares = Object.entries(sample.byBackend)
    .map(([backend, n]) => `${backend} ${n} (${((100 * n) / sample.total).toFixed(1)} %)`)
    .join(', ');
  console.log(`[traefik split] ${what}: ${sample.total} requests → ${shares}, unrouted ${sample.unrouted}`);
}

describe('Traefik as a data plane on the test control plane', () => {
  let namespace = '';
  let traefik: Traefik | undefined;
  const backends: Backend[] = [];

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'traefik');
    backends.push(...(await Promise.all([startBackend('blue'), startBackend('green')])));
    const [blue, green] = backends as [Backend, Backend];
    traefik = await startTraefik({
      binary: inject('traefikBinary'),
      controlPlane: inject('controlPlane'),
      namespaces: [namespace],
      prometheus: inject('prometheus'),
    });
    await createLoopbackService(kc, namespace, 'podinfo-primary', blue);
    await createLoopbackService(kc, namespace, 'podinfo-canary', green);
  }, 120_000);

  afterAll(async () => {
    await traefik?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it('points Services at loopback through FQDN EndpointSlices: the API server refuses 127.0.0.1 as IPv4', async () => {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'loopback-ipv4', namespace, labels: { 'kubernetes.io/service-name': 'podinfo' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.2'] }],
      ports: [{ name: 'http', port: 8080 }],
    };

    await expect(KubernetesObjectApi.makeApiClient(kc).create(slice)).rejects.toMatchObject({
      code: 422,
      body: expect.stringContaining('may not be in the loopback range') as unknown,
    });
  });

  it('sends 80/20 of real requests to blue/green through a weighted TraefikService', async () => {
    const host = 'podinfo-crd.test';
    const traefikIo = { group: 'traefik.io', version: 'v1alpha1', namespace };
    await objects.createNamespacedCustomObject({
      ...traefikIo,
      plural: 'traefikservices',
      body: {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'TraefikService',
        metadata: { name: 'podinfo', namespace },
        spec: {
          weighted: {
            services: [
              { name: 'podinfo-primary', port: 80, weight: 80 },
              { name: 'podinfo-canary', port: 80, weight: 20 },
            ],
          },
        },
      },
    });
    await objects.createNamespacedCustomObject({
      ...traefikIo,
      plural: 'ingressroutes',
      body: {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'podinfo', namespace },
        spec: {
          entryPoints: ['web'],
          routes: [
            {
              match: `Host(\`${host}\`)`,
              kind: 'Rule',
              services: [{ name: 'podinfo', kind: 'TraefikService' }],
            },
          ],
        },
      },
    });
    await waitForRoute(traefik!, host);

    const sample = await sendRequests(traefik!.webUrl, host, requests);
    report('TraefikService weighted 80/20', sample);

    expect(sample.unrouted).toBe(0);
    expect(sample.percent('green')).toBeGreaterThanOrEqual(15);
    expect(sample.percent('green')).toBeLessThanOrEqual(25);
    expect(sample.percent('blue') + sample.percent('green')).toBe(100);
    const loaded =
      await traefik!.api<{ name: string; weighted?: { services: { weight: number }[] } }[]>('http/services');
    expect(
      loaded.find((s) => s.name.startsWith(`${namespace}-podinfo@`))?.weighted?.services.map((s) => s.weight),
    ).toEqual([80, 20]);
    // What a MetricTemplate would query: Traefik's own count of requests per Kubernetes Service.
    const canaryRequests = `sum(traefik_service_requests_total{traefik="${traefik!.id}", service=~"${namespace}-podinfo-canary-80@.*"})`;
    await waitUntil(
      'Prometheus to scrape the canary request count from Traefik',
      async () =>
        ((await instantQuery(inject('prometheus').url, canaryRequests))[0]?.value ?? 0) >=
        (sample.byBackend.green ?? 0),
      { timeoutMs: 15_000, intervalMs: 250 },
    );
  });

  it('sends 30/70 of real requests to blue/green through an HTTPRoute that Traefik accepts', async () => {
    const host = 'podinfo-gateway.test';
    const gateway = await createTraefikGateway(kc, namespace, traefik!);
    await objects.createNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace,
      plural: 'httproutes',
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'podinfo', namespace },
        spec: {
          parentRefs: [{ name: gateway.name }],
          hostnames: [host],
          rules: [
            {
              backendRefs: [
                { name: 'podinfo-primary', port: 80, weight: 30 },
                { name: 'podinfo-canary', port: 80, weight: 70 },
              ],
            },
          ],
        },
      },
    });
    await waitForRoute(traefik!, host);

    const sample = await sendRequests(traefik!.webUrl, host, requests);
    report('HTTPRoute backendRefs 30/70', sample);

    expect(sample.unrouted).toBe(0);
    expect(sample.percent('green')).toBeGreaterThanOrEqual(65);
    expect(sample.percent('green')).toBeLessThanOrEqual(75);
    const conditions = await routeParentConditions(kc, namespace, 'podinfo', gateway.name);
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Accepted', status: 'True' }));
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'ResolvedRefs', status: 'True' }));
  });
});
