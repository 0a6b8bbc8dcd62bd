import { describe, expect, it } from 'vitest';
import { diffObject } from '../../../src/core/cluster-diff.js';
import type { KubeObject } from '../../../src/core/model.js';

const ingress = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'podinfo-canary', namespace: 'test', annotations },
  spec: { rules: [] },
});
const atRest = {
  'nginx.ingress.kubernetes.io/canary': 'true',
  'nginx.ingress.kubernetes.io/canary-weight': '0',
};

describe('diffObject on annotations', () => {
  it('ignores annotations other tools added: only the keys gitcanary sets are compared', () => {
    const live = ingress({
      ...atRest,
      'argocd.argoproj.io/tracking-id': 'app:networking.k8s.io/Ingress:test/x',
    });

    expect(diffObject(ingress(atRest), live).action).toBe('unchanged');
  });

  it('takes a router annotation the step no longer sets (NGINX canary-by-header after an A/B run) as drift', () => {
    const live = ingress({
      ...atRest,
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'insider',
    });

    const diff = diffObject(ingress(atRest), live);

    expect(diff.action).toBe('update');
    expect(diff.patch.map((op) => `${op.op} ${op.path}`)).toEqual([
      'remove /metadata/annotations/nginx.ingress.kubernetes.io~1canary-by-header-value',
      'remove /metadata/annotations/nginx.ingress.kubernetes.io~1canary-by-header',
    ]);
  });
});
