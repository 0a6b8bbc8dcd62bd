import { describe, expect, inject, it } from 'vitest';
import {
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1Service,
} from '@kubernetes/client-node';
import { kubeConfigFor } from '../../harness/control-plane.js';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

describe('the test control plane', () => {
  const kc = testKubeConfig();
  const objects = KubernetesObjectApi.makeApiClient(kc);

  async function serverSideApply<T extends KubernetesObject>(body: T): Promise<T> {
    return objects.patch(body, undefined, undefined, 'gitcanary-test', true, PatchStrategy.ServerSideApply);
  }

  it('server-side-applies a Service and reads it back with a cluster IP assigned', async () => {
    const namespace = await createTestNamespace(kc);

    await serverSideApply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace },
      spec: { selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 9898 }] },
    });
    const live = await objects.read<V1Service>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace },
    });

    expect(live.spec?.ports?.[0]?.port).toBe(9898);
    expect(live.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(live.metadata?.managedFields?.map((f) => f.manager)).toContain('gitcanary-test');
  });

  it('server-side-applies a Gateway API HTTPRoute with weighted backends', async () => {
    const namespace = await createTestNamespace(kc);
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'podinfo', namespace },
      spec: {
        parentRefs: [{ name: 'public-gateway' }],
        rules: [
          {
            backendRefs: [
              { name: 'podinfo-primary', port: 9898, weight: 90 },
              { name: 'podinfo-canary', port: 9898, weight: 10 },
            ],
          },
        ],
      },
    };

    await serverSideApply(route);
    const live = await objects.read<typeof route>(route);

    expect(live.spec.rules[0]?.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['podinfo-primary', 90],
      ['podinfo-canary', 10],
    ]);
  });

  it('enforces RBAC: an unknown token is refused', async () => {
    const stranger = kubeConfigFor({ ...inject('controlPlane'), token: 'not-a-valid-token' });

    await expect(
      KubernetesObjectApi.makeApiClient(stranger).list('v1', 'Service', 'default'),
    ).rejects.toMatchObject({ code: 401 });
  });
});
