// An A/B release against the real API server and its Gateway API CRDs: matched requests go to the canary from
// the first step, the rest stay on the primary, then promotion routes everything back to the promoted primary.
// A Gateway controller is played by the test, writing the route's status: a refusal holds the release and is
// said once in git; acceptance lets it go on.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { testKubeConfig } from '../support/test-namespace.js';
import { waitUntil } from '../../harness/owned-process.js';
import {
  clusterIpSpec,
  read,
  releaseCleanup,
  selectors,
  service,
  setup,
} from '../support/release-fixture.js';

afterEach(releaseCleanup);

const customObjects = testKubeConfig().makeApiClient(CustomObjectsApi);

const abCanary = (ns: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: core/v1, kind: Service, name: podinfo }
  service:
    port: 9898
    gatewayRefs: [{ name: public-gateway, namespace: ${ns} }]
  analysis:
    interval: 1m
    threshold: 2
    iterations: 2
    match:
      - headers:
          x-canary: { exact: insider }
`;

type Rule = {
  matches: { headers?: { name: string; value: string }[] }[];
  backendRefs: { name: string; weight: number }[];
};
async function rules(ns: string): Promise<string[]> {
  const route = (await read(ns, 'HTTPRoute', 'podinfo')) as { spec: { rules: Rule[] } } | undefined;
  return (route?.spec.rules ?? []).map(
    (rule) =>
      `${rule.matches.map((m) => m.headers?.map((h) => `${h.name}=${h.value}`).join('&') ?? '*').join('|')} -> ${rule.backendRefs
        .map((b) => `${b.name}:${b.weight}`)
        .join(',')}`,
  );
}

/** Writes the route's status as a Gateway controller would: its parent accepted the route, or not. */
async function writeRouteStatus(ns: string, accepted: boolean): Promise<void> {
  const group = 'gateway.networking.k8s.io';
  const route = (await customObjects.getNamespacedCustomObject({
    group,
    version: 'v1',
    namespace: ns,
    plural: 'httproutes',
    name: 'podinfo',
  })) as {
    metadata: { generation: number };
  };
  await customObjects.replaceNamespacedCustomObjectStatus({
    group,
    version: 'v1',
    namespace: ns,
    plural: 'httproutes',
    name: 'podinfo',
    body: {
      ...route,
      status: {
        parents: [
          {
            parentRef: { group, kind: 'Gateway', name: 'public-gateway', namespace: ns },
            controllerName: 'example.com/test-gateway',
            conditions: [
              {
                type: 'Accepted',
                status: accepted ? 'True' : 'False',
                reason: accepted ? 'Accepted' : 'NotAllowedByListeners',
                message: accepted ? 'accepted' : 'no listener allows routes from this namespace',
                observedGeneration: route.metadata.generation,
                lastTransitionTime: '2026-11-26T10:00:00Z',
              },
            ],
          },
        ],
      },
    },
  });
}

describe('an A/B release', () => {
  it.each([
    ['reading the cluster by GET', false],
    ['reading the cluster from the watch-backed cache, as gitcanary run does', true],
  ])(
    'sends matched requests to the canary for its iterations, holds while the gateway refuses the route, then promotes (%s)',
    async (_, liveCache) => {
      const s = await setup(
        (ns) => ({
          'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
          'apps/podinfo/canary.yaml': abCanary(ns),
        }),
        { liveCache },
      );
      const gatewaySays = async (accepted: boolean) => {
        await writeRouteStatus(s.ns, accepted);
        // The watch brings the status to the cache a moment later.
        const ref = {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          namespace: s.ns,
          name: 'podinfo',
        };
        const seen = () =>
          JSON.stringify(s.cluster.peek(ref)?.object?.status ?? {}).includes(accepted ? '"True"' : '"False"');
        if (liveCache) {
          await waitUntil('the cache to see the route status', () => Promise.resolve(seen()), {
            timeoutMs: 10_000,
            intervalMs: 50,
          });
        }
      };
      await s.reconcile(0);
      await s.human.commitAndPush(
        { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
        'release green',
      );
      await s.reconcile(1);

      await s.reconcile(2);
      const during = await rules(s.ns);
      await gatewaySays(false);
      const held = await s.reconcile(3);
      const stillHeld = await s.reconcile(4);
      await gatewaySays(true);
      await s.reconcile(5);
      const done = await s.reconcile(6);

      expect(during).toEqual([
        'x-canary=insider -> podinfo-primary:0,podinfo-canary:100',
        '* -> podinfo-primary:100',
      ]);
      expect(held.canaries[0]).toMatchObject({ phase: 'Progressing', weight: 100 });
      expect(stillHeld.commits).toEqual([]);
      expect(done.canaries[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
      expect(await rules(s.ns)).toEqual([
        'x-canary=insider -> podinfo-primary:100,podinfo-canary:0',
        '* -> podinfo-primary:100',
      ]);
      expect(await selectors(s.ns)).toEqual(['podinfo-green', 'podinfo-green']);
      const subjects = (await s.human.log()).slice(0, 7).map((line) => line.replace(/[0-9a-f]{12}/g, 'REV'));
      expect(subjects).toEqual([
        'podinfo: promoted REV',
        'podinfo: weight 100 → 0, finalising',
        'podinfo: promoting REV',
        'podinfo: iteration 1 → 2',
        'podinfo: held, HTTPRoute podinfo not accepted by Gateway ' +
          `${s.ns}/public-gateway (NotAllowedByListeners: no listener allows routes from this namespace)`,
        'podinfo: iteration 0 → 1, matched requests to canary',
        'podinfo: new revision REV, analysis started',
      ]);
    },
  );
});
