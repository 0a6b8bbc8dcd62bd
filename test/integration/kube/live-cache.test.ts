import { afterEach, describe, expect, it } from 'vitest';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { diffObject } from '../../../src/core/cluster-diff.js';
import type { KubeObject } from '../../../src/core/model.js';
import { Cluster } from '../../../src/kube/cluster.js';
import type { ObjectRef } from '../../../src/kube/object-ref.js';
import { LiveCache } from '../../../src/kube/live-cache.js';
import { waitUntil } from '../../support/owned-process.js';
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
});
