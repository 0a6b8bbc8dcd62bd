// Each integration test works in a namespace of its own on the shared control plane.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { kubeConfigFor } from '../../harness/control-plane.js';
import './provided-context.js';

export function testKubeConfig(): KubeConfig {
  return kubeConfigFor(inject('controlPlane'));
}

/** Creates `<prefix>-<random>`; namespaces are left behind with the throwaway etcd. */
export async function createTestNamespace(kc: KubeConfig, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}
