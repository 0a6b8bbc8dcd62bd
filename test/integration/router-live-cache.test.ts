// Whatever its router, a Canary read through the live cache (as `gitcanary run` reads the cluster) costs no
// request to the API server at rest: the router's kinds are watched from the first pass that reads one, so
// the cost of a poll does not grow with the number of Canaries. Against the real CRDs of each router.
import { afterEach, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../src/core/model.js';
import { refOf } from '../../src/kube/cluster.js';
import { waitUntil } from '../../harness/owned-process.js';
import { clusterIpSpec, releaseCleanup, service, setup } from '../support/release-fixture.js';

afterEach(releaseCleanup);

const ingress = (ns: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: podinfo, namespace: ${ns} }
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: podinfo-primary, port: { number: 9898 } } }
`;

const canary = (ns: string, provider: string, ingressRef: boolean) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: ${ns} }
spec:
  provider: ${provider}
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
${ingressRef ? '  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo }\n' : ''}  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 30
    stepWeight: 10
`;

const cases = [
  { provider: 'istio', kinds: ['DestinationRule', 'DestinationRule', 'VirtualService'] },
  { provider: 'linkerd', kinds: ['TrafficSplit'] },
  { provider: 'smi:v1alpha3', kinds: ['TrafficSplit'] },
  { provider: 'contour', kinds: ['HTTPProxy'] },
  { provider: 'traefik', kinds: ['TraefikService'] },
  { provider: 'nginx', kinds: ['Ingress'], ingressRef: true },
  { provider: 'skipper', kinds: ['Ingress'], ingressRef: true },
];

describe('the live cache and the routers', () => {
  it.each(cases)(
    '$provider: after the first pass, a pass at rest reads nothing from the API server, and a release reads each object once',
    async ({ provider, kinds, ingressRef = false }) => {
      const s = await setup(
        (ns) => ({
          'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
          'apps/podinfo/canary.yaml': canary(ns, provider, ingressRef),
          ...(ingressRef ? { 'apps/podinfo/ingress.yaml': ingress(ns) } : {}),
        }),
        { liveCache: true },
      );
      const initialized = await s.reconcile(0);
      const generated = loadAll(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')) as KubeObject[];
      const routes = generated.filter((o) => !['CanaryState', 'Service'].includes(o.kind));
      // The first pass read the route by GET and started its kind's watch beside it.
      await waitUntil(
        `the live cache to watch ${kinds.join(', ')}`,
        () => Promise.resolve(routes.every((route) => s.cluster.peek(refOf(route)) !== undefined)),
        { timeoutMs: 10_000 },
      );
      const watched = s.cluster.stats.reads;

      const atRest = [await s.reconcile(0.5), await s.reconcile(0.6)];
      const atRestReads = s.cluster.stats.reads - watched;
      await s.human.commitAndPush(
        { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
        'release green',
      );
      await s.reconcile(1);
      const stepped = await s.reconcile(2);
      const releaseReads = s.cluster.stats.reads - watched;
      await s.reconcile(2.2);
      await s.reconcile(2.4);

      expect(initialized.canaries[0]).toMatchObject({ phase: 'Initialized' });
      expect(routes.map((o) => o.kind)).toEqual(kinds);
      expect(atRest.map((pass) => pass.changes.unchanged.length)).toEqual([
        routes.length + 2,
        routes.length + 2,
      ]);
      expect(atRestReads).toBe(0);
      expect(stepped.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 10 });
      // Of a Canary at rest the cache holds versions only: the release reads each object whole, once…
      expect(releaseReads).toBe(routes.length + 2);
      // …and in motion it is planned from the watch again, poll after poll.
      expect(s.cluster.stats.reads - watched).toBe(releaseReads);
    },
  );
});
