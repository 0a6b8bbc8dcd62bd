// The nginx router against Flagger's IngressRouter tests (pkg/router/ingress_test.go): the same annotations
// at initialisation, at a weight and after promotion, and the same A/B annotations for a header, a header
// pattern and a cookie; plus what Flagger leaves unchecked.
import { describe, expect, it } from 'vitest';
import type { RequestMatch } from '../../../../src/core/model.js';
import { nginxRouter } from '../../../../src/core/routers/nginx.js';
import { anIngress, anIngressCanary, routed } from './ingress-fixtures.js';

const canaryAnnotations = (annotations: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([key]) => key.startsWith('nginx.ingress.kubernetes.io/')),
  );

describe('the nginx router', () => {
  it('makes <ingress>-canary from the ingressRef Ingress, sending its primary paths to the canary Service', () => {
    const ingress = routed(anIngressCanary('nginx'), { weight: 10 });

    expect(ingress.metadata.name).toBe('podinfo-canary');
    expect(ingress.spec).toEqual({
      tls: [{ hosts: ['app.example.com'], secretName: 'app-tls' }],
      rules: [
        {
          host: 'app.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'podinfo-canary', port: { number: 9898 } } },
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
    });
  });

  it("copies the Ingress's labels and annotations but kubectl's note and any canary annotation, and marks it ours", () => {
    const source = anIngress({ 'nginx.ingress.kubernetes.io/canary-by-header': 'stale' });

    const { metadata } = routed(anIngressCanary('nginx'), { weight: 0 }, source);

    expect(metadata.labels).toEqual({
      app: 'podinfo',
      'app.kubernetes.io/managed-by': 'gitcanary',
      'gitcanary.dev/canary': 'podinfo',
    });
    expect(metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
    });
  });

  it.each([
    ['initialisation (weight 0)', 0, '0'],
    ['a step', 50, '50'],
    ['the last step of blue/green', 100, '100'],
  ])('annotates %s as Flagger does: canary "true", canary-weight %i', (_, weight, written) => {
    const { metadata } = routed(anIngressCanary('nginx'), { weight });

    expect(canaryAnnotations(metadata.annotations)).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': written,
    });
  });

  it.each<[string, RequestMatch, Record<string, string>]>([
    [
      'a header exact match',
      { headers: { 'x-user-type': { exact: 'test' } } },
      { 'canary-by-header': 'x-user-type', 'canary-by-header-value': 'test' },
    ],
    [
      'a header regex match',
      { headers: { 'x-user-type': { regex: 'test' } } },
      { 'canary-by-header': 'x-user-type', 'canary-by-header-pattern': 'test' },
    ],
    [
      'a cookie match (the cookie name)',
      { headers: { cookie: { exact: 'test' } } },
      { 'canary-by-cookie': 'test' },
    ],
  ])('routes A/B by %s with the annotations of Flagger, weight kept at 0', (_, match, expected) => {
    const canary = anIngressCanary('nginx', { iterations: 1, match: [match] });

    const { metadata } = routed(canary, { weight: 100 });

    expect(canaryAnnotations(metadata.annotations)).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
      ...Object.fromEntries(
        Object.entries(expected).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]),
      ),
    });
  });

  it("routes the tutorial's A/B run by a header and a cookie at once, and nothing by them at rest", () => {
    const canary = anIngressCanary('nginx', {
      iterations: 10,
      match: [
        { headers: { 'x-canary': { exact: 'insider' } } },
        { headers: { cookie: { exact: 'canary' } } },
      ],
    });

    expect(canaryAnnotations(routed(canary, { weight: 100 }).metadata.annotations)).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'insider',
      'nginx.ingress.kubernetes.io/canary-by-cookie': 'canary',
    });
    expect(canaryAnnotations(routed(canary, { weight: 0 }).metadata.annotations)).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
    });
  });

  it('names the canary annotations as its own, so one dropped after an A/B run is drift', () => {
    expect(nginxRouter.ownedAnnotations).toEqual(['nginx.ingress.kubernetes.io/canary']);
  });

  it.each<[string, RequestMatch[], string[]]>([
    ['a path', [{ uri: { prefix: '/api' } }], ['spec.analysis.match[0].uri']],
    [
      'a query parameter',
      [{ queryParams: { beta: { exact: 'on' } } }],
      ['spec.analysis.match[0].queryParams'],
    ],
    ['a method', [{ method: { exact: 'GET' } }], ['spec.analysis.match[0].method']],
    [
      'a header prefix',
      [{ headers: { 'x-user': { prefix: 'a' } } }],
      ['spec.analysis.match[0].headers.x-user'],
    ],
    [
      'a cookie by regex',
      [{ headers: { cookie: { regex: 'c.*' } } }],
      ['spec.analysis.match[0].headers.cookie'],
    ],
    [
      'two conditions in one entry (NGINX would take either)',
      [{ headers: { 'x-user': { exact: 'a' }, cookie: { exact: 'c' } } }],
      ['spec.analysis.match[0].headers'],
    ],
    [
      'two headers (Flagger keeps the last)',
      [{ headers: { 'x-a': { exact: '1' } } }, { headers: { 'x-b': { exact: '2' } } }],
      ['spec.analysis.match'],
    ],
  ])('refuses an A/B match by %s', (_, match, fields) => {
    const canary = anIngressCanary('nginx', { iterations: 3, match });

    expect(nginxRouter.check(canary, 'spec.analysis').map((issue) => issue.field)).toEqual(fields);
  });

  it('requires an ingressRef', () => {
    const canary = { ...anIngressCanary('nginx') };
    delete canary.ingressRef;

    expect(nginxRouter.check(canary, 'spec.analysis')).toMatchObject([{ field: 'spec.ingressRef' }]);
  });

  it('reads the canary Ingress back by name, and holds the step until it exists', () => {
    const canary = anIngressCanary('nginx');

    expect(nginxRouter.routeRefs(canary)).toEqual([
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'test', name: 'podinfo-canary' },
    ]);
    expect(nginxRouter.readiness(canary, [undefined])).toMatchObject({ state: 'pending' });
    expect(nginxRouter.readiness(canary, [routed(canary, {})])).toEqual({ state: 'ready' });
  });
});
