import { describe, expect, it } from 'vitest';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

const kc = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);

type Manifest = KubernetesObject & { metadata: { name: string }; spec: Record<string, unknown> };

function manifest(apiVersion: string, kind: string, spec: Record<string, unknown>): Manifest {
  return { apiVersion, kind, metadata: { name: 'podinfo' }, spec };
}

const weighted = (primary: unknown, canary: unknown) => [
  { service: 'podinfo-primary', weight: primary },
  { service: 'podinfo-canary', weight: canary },
];

// One object of each kind the routers and GitOps integrations write, in the shape they write it.
const accepted: [string, Manifest][] = [
  [
    'an Istio VirtualService',
    manifest('networking.istio.io/v1', 'VirtualService', {
      hosts: ['podinfo'],
      http: [
        {
          route: [
            { destination: { host: 'podinfo-primary' }, weight: 80 },
            { destination: { host: 'podinfo-canary' }, weight: 20 },
          ],
        },
      ],
    }),
  ],
  [
    'an Istio DestinationRule',
    manifest('networking.istio.io/v1', 'DestinationRule', { host: 'podinfo-primary' }),
  ],
  [
    'an SMI TrafficSplit v1alpha1 (quantity weights)',
    manifest('split.smi-spec.io/v1alpha1', 'TrafficSplit', {
      service: 'podinfo',
      backends: weighted('800m', '200m'),
    }),
  ],
  [
    'an SMI TrafficSplit v1alpha2',
    manifest('split.smi-spec.io/v1alpha2', 'TrafficSplit', {
      service: 'podinfo',
      backends: weighted(80, 20),
    }),
  ],
  [
    'an SMI TrafficSplit v1alpha3 with a match',
    manifest('split.smi-spec.io/v1alpha3', 'TrafficSplit', {
      service: 'podinfo',
      backends: weighted(80, 20),
      matches: [{ kind: 'HTTPRouteGroup', name: 'podinfo', apiGroup: 'specs.smi-spec.io' }],
    }),
  ],
  [
    'a Contour HTTPProxy',
    manifest('projectcontour.io/v1', 'HTTPProxy', {
      virtualhost: { fqdn: 'podinfo.example.test' },
      routes: [
        {
          services: [
            { name: 'podinfo-primary', port: 9898, weight: 80 },
            { name: 'podinfo-canary', port: 9898, weight: 20 },
          ],
        },
      ],
    }),
  ],
  [
    'a TraefikService',
    manifest('traefik.io/v1alpha1', 'TraefikService', {
      weighted: {
        services: [
          { name: 'podinfo-primary', port: 9898, weight: 80 },
          { name: 'podinfo-canary', port: 9898, weight: 20 },
        ],
      },
    }),
  ],
  [
    'a Flux GitRepository',
    manifest('source.toolkit.fluxcd.io/v1', 'GitRepository', {
      url: 'https://git.example.test/apps.git',
      interval: '1m',
      ref: { branch: 'main' },
    }),
  ],
  [
    'a Flux Kustomization',
    manifest('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', {
      interval: '1m',
      path: './apps/podinfo',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'podinfo' },
    }),
  ],
  [
    'an Argo CD Application',
    manifest('argoproj.io/v1alpha1', 'Application', {
      project: 'default',
      source: { repoURL: 'https://git.example.test/apps.git', path: 'apps/podinfo', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'podinfo' },
    }),
  ],
];

// Wrong shapes that only a real schema catches.
const refused: [string, Manifest, RegExp][] = [
  [
    'a VirtualService whose weight is a string',
    manifest('networking.istio.io/v1', 'VirtualService', {
      hosts: ['podinfo'],
      http: [{ route: [{ destination: { host: 'podinfo-primary' }, weight: 'eighty' }] }],
    }),
    /weight/,
  ],
  [
    'a TrafficSplit v1alpha2 whose weight is a quantity',
    manifest('split.smi-spec.io/v1alpha2', 'TrafficSplit', {
      service: 'podinfo',
      backends: weighted('800m', '200m'),
    }),
    /weight/,
  ],
  [
    'a TrafficSplit v1alpha3 without its apex service',
    manifest('split.smi-spec.io/v1alpha3', 'TrafficSplit', { backends: weighted(80, 20) }),
    /service/,
  ],
  [
    'an HTTPProxy whose services are not a list',
    manifest('projectcontour.io/v1', 'HTTPProxy', { routes: [{ services: { name: 'podinfo-primary' } }] }),
    /services/,
  ],
];

describe('the CRDs of other projects on the test API server', () => {
  it.each(accepted)('accept %s and keep every field of it', async (_, object) => {
    const namespace = await createTestNamespace(kc, 'crds');
    const body = { ...object, metadata: { ...object.metadata, namespace } };

    await objects.create(body);
    const live = await objects.read<Manifest>(body);

    expect(live.spec).toMatchObject(object.spec);
  });

  it.each(refused)('refuse %s', async (_, object, field) => {
    const namespace = await createTestNamespace(kc, 'crds');

    const refusal = objects.create({ ...object, metadata: { ...object.metadata, namespace } });

    await expect(refusal).rejects.toMatchObject({ code: 422, body: expect.stringMatching(field) as unknown });
  });
});
