// The Ingress of Flagger's router tests (newTestIngress), sending to `podinfo-primary` as a Service target
// needs, and a Canary that names it; shared by the nginx and skipper router tests.
import type { CanaryAnalysis, CanarySpec, KubeObject, RouterName } from '../../../../src/core/model.js';
import type { Traffic } from '../../../../src/core/routers/router.js';
import { routerOf } from '../../../../src/core/routers/router-registry.js';
import { aCanary, anAnalysis, aService, aTarget } from '../builders.js';

export function anIngress(annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'podinfo',
      namespace: 'test',
      labels: { app: 'podinfo' },
      annotations: {
        'kubernetes.io/ingress.class': 'nginx',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        ...annotations,
      },
    },
    spec: {
      tls: [{ hosts: ['app.example.com'], secretName: 'app-tls' }],
      rules: [
        {
          host: 'app.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'podinfo-primary', port: { number: 9898 } } },
              },
              {
                path: '/static',
                pathType: 'Prefix',
                backend: { service: { name: 'assets', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  };
}

export function anIngressCanary(provider: RouterName, analysis: Partial<CanaryAnalysis> = {}): CanarySpec {
  return aCanary({
    provider,
    ingressRef: { name: 'podinfo' },
    service: aService(),
    analysis: anAnalysis({ maxWeight: 50, stepWeight: 10, ...analysis }),
  });
}

/** The router's one object for `canary` at `traffic`, made from `ingress`. */
export function routed(canary: CanarySpec, traffic: Partial<Traffic>, ingress = anIngress()): KubeObject {
  const [object] = routerOf(canary.provider).routes({
    canary,
    target: aTarget().object,
    traffic: { weight: 0, mirrored: false, ...traffic },
    references: { ingress },
  });
  if (!object) throw new Error('the router made nothing');
  return object;
}
