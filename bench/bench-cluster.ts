// The cluster side of the benchmark: namespaces for the apps, emptying them between cold syncs, and
// `kubectl apply --server-side` as the peer of gitcanary's own applies.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { runPeer } from './peer-runner.js';

const selector = 'app.kubernetes.io/managed-by=gitcanary';

export async function createNamespaces(kc: KubeConfig, names: readonly string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of names) await core.createNamespace({ body: { metadata: { name } } });
}

/**
 * Deletes every generated Service and HTTPRoute in `namespaces`, and waits until they are gone. Deleting
 * thousands of Services can outlast one request's deadline (HTTP 504); the loop then simply goes on.
 */
export async function clearGeneratedObjects(kc: KubeConfig, namespaces: readonly string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const route = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };
  const clear = async (namespace: string) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await core.deleteCollectionNamespacedService({ namespace, labelSelector: selector });
        await custom.deleteCollectionNamespacedCustomObject({ ...route, namespace, labelSelector: selector });
      } catch (err) {
        if (attempt >= 10) throw err;
      }
      const [services, routes] = await Promise.all([
        core.listNamespacedService({ namespace, labelSelector: selector, limit: 1 }),
        custom.listNamespacedCustomObject({
          ...route,
          namespace,
          labelSelector: selector,
          limit: 1,
        }) as Promise<{
          items: unknown[];
        }>,
      ]);
      if (services.items.length === 0 && routes.items.length === 0) return;
    }
  };
  await Promise.all(namespaces.map(clear));
}

/**
 * `kubectl apply --server-side -f file`, the way a GitOps tool or a person would apply the objects.
 * Without kubectl's client-side schema validation, which costs it ~30 ms per object here (the HTTPRoute
 * schema is large): the peer is the bare apply, the harder one to match.
 */
export async function kubectlApply(
  kubeconfig: string,
  file: string,
  fieldManager = 'kubectl',
): Promise<void> {
  await runPeer(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--server-side',
      '--validate=false',
      `--field-manager=${fieldManager}`,
      '-f',
      file,
    ],
    { env: { KUBECACHEDIR: `${kubeconfig}.cache` } },
  );
}
