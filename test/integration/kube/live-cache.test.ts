import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { diffObject } from '../../../src/core/cluster-diff.js';
import type { CanarySpec, KubeObject } from '../../../src/core/model.js';
import { contourRouter } from '../../../src/core/routers/contour.js';
import { Cluster } from '../../../src/kube/cluster.js';
import type { ObjectRef } from '../../../src/kube/object-ref.js';
import { LiveCache } from '../../../src/kube/live-cache.js';
import { installCrds } from '../../../harness/control-plane.js';
import { waitUntil } from '../../../harness/owned-process.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

const kc = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
const core = kc.makeApiClient(CoreV1Api);

const managed = (namespace: string, name: string, app = 'podinfo-blue'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
  spec: { selector: { app }, ports: [{ name: 'http', port: 9898 }] },
});
const serviceRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Service',
  namespace,
  name,
});

describe('the live cache', () => {
  const caches: LiveCache[] = [];
  afterEach(() => caches.splice(0).forEach((cache) => cache.stop()));

  async function start(namespace: string): Promise<{ cache: LiveCache; cluster: Cluster }> {
    const cache = await LiveCache.start({ kubeConfig: kc, namespaces: [namespace] });
    caches.push(cache);
    return { cache, cluster: new Cluster(kc, { live: cache }) };
  }

  async function applyAsSomeoneElse(object: KubeObject): Promise<void> {
    await objects.patch(object, undefined, undefined, 'someone-else', true, PatchStrategy.ServerSideApply);
  }

  it('answers reads from memory after one LIST per kind, with no request to the API server', async () => {
    const ns = await createTestNamespace(kc, 'live');
    await applyAsSomeoneElse(managed(ns, 'podinfo-primary'));
    const { cache, cluster } = await start(ns);

    const [present, absent] = [
      await cluster.get(serviceRef(ns, 'podinfo-primary')),
      await cluster.get(serviceRef(ns, 'podinfo-canary')),
    ];

    expect(present?.spec).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect(present?.metadata.managedFields).toBeUndefined();
    // Held as the diff normalizes it: no assigned cluster IP, and still equal to what was applied.
    expect(present?.spec).not.toHaveProperty('clusterIP');
    expect(diffObject(managed(ns, 'podinfo-primary'), present).action).toBe('unchanged');
    expect(absent).toBeUndefined();
    expect(cluster.stats.reads).toBe(0);
    expect(cache.stats.lists).toBe(2);
    // The other routers' kinds are watched only once a Canary needs one.
    expect(cache.stats.discoveries).toBe(0);
  });

  it('sees a change and a deletion made by someone else through its watch', async () => {
    const ns = await createTestNamespace(kc, 'live');
    await applyAsSomeoneElse(managed(ns, 'podinfo-primary'));
    const { cluster } = await start(ns);
    const selector = async () =>
      ((await cluster.get(serviceRef(ns, 'podinfo-primary')))?.spec as { selector?: { app?: string } })
        ?.selector?.app;

    await applyAsSomeoneElse(managed(ns, 'podinfo-primary', 'podinfo-green'));
    await waitUntil('the change to reach the cache', async () => (await selector()) === 'podinfo-green', {
      timeoutMs: 10_000,
    });
    await core.deleteNamespacedService({ name: 'podinfo-primary', namespace: ns });
    await waitUntil('the deletion to reach the cache', async () => (await selector()) === undefined, {
      timeoutMs: 10_000,
    });

    expect(cluster.stats.reads).toBe(0);
  });

  it('keeps only the version of an object when told to, reads it whole by GET, and holds it whole again', async () => {
    const ns = await createTestNamespace(kc, 'live');
    await applyAsSomeoneElse(managed(ns, 'podinfo-primary'));
    const { cache, cluster } = await start(ns);
    const ref = serviceRef(ns, 'podinfo-primary');
    const version = cluster.peek(ref)?.object?.metadata.resourceVersion;

    cluster.keepVersionOnly(ref);
    const peeked = cluster.peek(ref)?.object;
    const whole = await cluster.get(ref);
    const again = await cluster.get(ref);

    expect(peeked?.metadata).toMatchObject({
      resourceVersion: version,
      labels: { 'app.kubernetes.io/managed-by': 'gitcanary' },
    });
    expect(peeked?.spec).toBeUndefined();
    expect(whole?.spec).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect(again?.spec).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect(cluster.stats.reads).toBe(1);
    expect(cache.lookup(ref)).toMatchObject({
      known: true,
      object: { spec: { selector: { app: 'podinfo-blue' } } },
    });

    cluster.keepVersionOnly(ref);
    await applyAsSomeoneElse(managed(ns, 'podinfo-primary', 'podinfo-green'));
    await waitUntil(
      'the change to reach the cache whole',
      () => Promise.resolve(cache.lookup(ref).known && !('versionOnly' in cache.lookup(ref))),
      {
        timeoutMs: 10_000,
      },
    );
    expect((await cluster.get(ref))?.spec).toMatchObject({ selector: { app: 'podinfo-green' } });
    expect(cluster.stats.reads).toBe(1);
  });

  it('holds an object gitcanary does not manage as a stub that still shows who owns it', async () => {
    const ns = await createTestNamespace(kc, 'live');
    const foreign = managed(ns, 'podinfo-canary');
    foreign.metadata.labels = { team: 'payments' };
    await applyAsSomeoneElse(foreign);
    const { cluster } = await start(ns);

    const stub = await cluster.get(serviceRef(ns, 'podinfo-canary'));

    expect(stub?.metadata).toMatchObject({ name: 'podinfo-canary', labels: { team: 'payments' } });
    expect(stub?.spec).toBeUndefined();
  });

  it('keeps what its own apply returned, so the next read does not wait for the watch event', async () => {
    const ns = await createTestNamespace(kc, 'live');
    const { cache, cluster } = await start(ns);

    await cluster.apply(managed(ns, 'podinfo-primary'));
    const lookup = cache.lookup(serviceRef(ns, 'podinfo-primary'));

    expect(lookup.known && lookup.object?.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(cluster.stats).toEqual({ reads: 0, writes: 1 });
  });

  it('sends a GET for a namespace it does not watch', async () => {
    const [watched, other] = [await createTestNamespace(kc, 'live'), await createTestNamespace(kc, 'live')];
    await applyAsSomeoneElse(managed(other, 'podinfo-primary'));
    const { cluster } = await start(watched);

    const object = await cluster.get(serviceRef(other, 'podinfo-primary'));

    expect(object?.metadata.name).toBe('podinfo-primary');
    expect(cluster.stats.reads).toBe(1);
  });

  describe("a router's other kinds", () => {
    const traefikService = (namespace: string, weight: number): KubeObject => ({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'TraefikService',
      metadata: { name: 'podinfo', namespace, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
      spec: { weighted: { services: [{ name: 'podinfo-primary', port: 9898, weight }] } },
    });
    const refOf = (object: KubeObject): ObjectRef => ({
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
    });
    const weightOf = (object: KubeObject | undefined) =>
      (object?.spec as { weighted: { services: { weight: number }[] } } | undefined)?.weighted.services[0]
        ?.weight;

    it('are watched from the first lookup that asks for one: later reads send no request and see changes', async () => {
      const ns = await createTestNamespace(kc, 'live');
      await applyAsSomeoneElse(traefikService(ns, 100));
      const { cache, cluster } = await start(ns);
      const ref = refOf(traefikService(ns, 100));

      const first = await cluster.get(ref);
      await waitUntil(
        'the TraefikService kind to be watched',
        () => Promise.resolve(cache.lookup(ref).known),
        {
          timeoutMs: 10_000,
        },
      );
      const [again, andAgain] = [await cluster.get(ref), await cluster.get(ref)];
      await applyAsSomeoneElse(traefikService(ns, 90));
      await waitUntil('the change to reach the cache', async () => weightOf(await cluster.get(ref)) === 90, {
        timeoutMs: 10_000,
      });

      expect(weightOf(first)).toBe(100);
      expect(weightOf(again)).toBe(100);
      expect(andAgain?.metadata.managedFields).toBeUndefined();
      // The first read went to the API server; every one after it was answered from the watch.
      expect(cluster.stats.reads).toBe(1);
      expect(cache.stats).toMatchObject({ discoveries: 1, lists: 3 });
    });

    it("hold of a router object's status what its readiness reads", async () => {
      const ns = await createTestNamespace(kc, 'live');
      const proxy: KubeObject = {
        apiVersion: 'projectcontour.io/v1',
        kind: 'HTTPProxy',
        metadata: { name: 'podinfo', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
        spec: { routes: [{ services: [{ name: 'podinfo-primary', port: 9898 }] }] },
      };
      await applyAsSomeoneElse(proxy);
      const now = new Date().toISOString();
      await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
        {
          group: 'projectcontour.io',
          version: 'v1',
          namespace: ns,
          plural: 'httpproxies',
          name: 'podinfo',
          body: {
            status: {
              currentStatus: 'invalid',
              description: 'At least one error present, see Errors for details',
              conditions: [
                {
                  type: 'Valid',
                  status: 'False',
                  observedGeneration: 1,
                  lastTransitionTime: now,
                  reason: 'ErrorPresent',
                  message: 'At least one error present, see Errors for details',
                  errors: [
                    {
                      type: 'ServiceError',
                      status: 'True',
                      reason: 'ServiceUnresolvedReference',
                      message:
                        'Spec.Routes unresolved service reference: service "podinfo-primary" not found',
                    },
                  ],
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', 'application/merge-patch+json'),
      );
      const { cache, cluster } = await start(ns);
      const ref = refOf(proxy);
      const fromServer = await cluster.get(ref);
      await waitUntil(
        'the status to reach the cache',
        () => {
          const held = cache.lookup(ref);
          return Promise.resolve(held.known && held.object?.status !== undefined);
        },
        { timeoutMs: 10_000 },
      );
      const fromCache = await cluster.get(ref);
      const canary = { namespace: ns, service: { apexName: 'podinfo' } } as CanarySpec;

      const readiness = contourRouter.readiness(canary, [fromCache]);

      expect(readiness).toEqual(contourRouter.readiness(canary, [fromServer]));
      expect(readiness).toMatchObject({
        state: 'rejected',
        reason: expect.stringContaining('not found') as unknown,
      });
      expect(cluster.stats.reads).toBe(1);
    });

    it('are not watched while the API server does not serve them, and are once their CRD is installed', async () => {
      const ns = await createTestNamespace(kc, 'live');
      const group = `live${randomBytes(4).toString('hex')}.gitcanary.test`;
      const cache = await LiveCache.start({
        kubeConfig: kc,
        namespaces: [ns],
        onDemand: [{ group, kind: 'Widget' }],
        rediscoverAfterMs: 500,
      });
      caches.push(cache);
      const ref: ObjectRef = { apiVersion: `${group}/v1`, kind: 'Widget', namespace: ns, name: 'w' };

      const before = cache.lookup(ref);
      await waitUntil('discovery to answer', () => Promise.resolve(cache.stats.discoveries === 1), {
        timeoutMs: 5_000,
      });
      cache.lookup(ref); // within the wait: no new discovery
      await new Promise((resolve) => setTimeout(resolve, 200));
      const notServed = { ...cache.stats };
      const crd = {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      };
      try {
        await installCrds(inject('controlPlane'), [crd]);
        await waitUntil('the Widget kind to be watched', () => Promise.resolve(cache.lookup(ref).known), {
          timeoutMs: 10_000,
        });
        await applyAsSomeoneElse({
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
          spec: { size: 3 },
        });
        await waitUntil(
          'the Widget to reach the cache',
          () => {
            const held = cache.lookup(ref);
            return Promise.resolve(held.known && held.object !== undefined);
          },
          { timeoutMs: 10_000 },
        );
      } finally {
        await kc
          .makeApiClient(ApiextensionsV1Api)
          .deleteCustomResourceDefinition({ name: `widgets.${group}` })
          .catch(() => undefined);
      }

      expect(before).toEqual({ known: false });
      // Not served: one discovery, no LIST or WATCH of it (those of the startup kinds only), no retry loop.
      expect(notServed).toMatchObject({ discoveries: 1, lists: 2, watches: 2 });
      expect(cache.lookup(ref)).toMatchObject({ known: true, object: { spec: { size: 3 } } });
      expect(cache.stats.lists).toBe(3);
    });
  });
});
