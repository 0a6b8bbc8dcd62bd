// `gitcanary render` of Flagger's NGINX, Skipper and Traefik tutorial Canaries (test/fixtures/flagger, with a
// Service target) against the real API server and the real Traefik CRDs: every object is accepted, stored as
// rendered, applied again by a second manager without a conflict, and says what Flagger's router says for the
// same Canary at the same step (names, weights, matches; pkg/router/{ingress,skipper,traefik}.go).
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/model.js';
import { applyRendered, removeCheckouts, render, type AppliedObject } from '../support/rendered-objects.js';

afterAll(removeCheckouts);

const fixtures = 'test/fixtures/flagger';
const named = (applied: AppliedObject[], kind: string, name: string): AppliedObject => {
  const found = applied.find(({ sent }) => sent.kind === kind && sent.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} was not rendered`);
  return found;
};
const prefixed = (object: KubeObject, prefix: string) =>
  Object.fromEntries(
    Object.entries(object.metadata.annotations ?? {})
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
type Paths = { backend: { service: { name: string; port: { number: number } } } }[];
const backends = (object: KubeObject) =>
  (object.spec as { rules: { host: string; http: { paths: Paths } }[] }).rules.flatMap((rule) =>
    rule.http.paths.map((p) => `${rule.host} → ${p.backend.service.name}:${p.backend.service.port.number}`),
  );

/** Every route the API server accepted and stored as it was sent (nothing defaulted, nothing dropped). */
function expectStoredAsSent(applied: AppliedObject[]): void {
  for (const { sent, stored } of applied.filter(({ sent }) => sent.kind !== 'Service')) {
    expect(stored.spec).toEqual(sent.spec);
    expect(stored.metadata.labels).toEqual(sent.metadata.labels);
    expect(stored.metadata.annotations ?? {}).toEqual(sent.metadata.annotations ?? {});
  }
}

describe("gitcanary render of Flagger's ingress tutorials, applied to the real API server", () => {
  it.each([0, 5, 50])('renders the NGINX tutorial at weight %i as Flagger annotates it', async (weight) => {
    const applied = await applyRendered(await render(`${fixtures}/nginx`, { weight }));

    expectStoredAsSent(applied);
    const canary = named(applied, 'Ingress', 'podinfo-canary').stored;
    expect(prefixed(canary, 'nginx.ingress.kubernetes.io/')).toEqual({
      canary: 'true',
      'canary-weight': String(weight),
    });
    expect(canary.metadata.annotations?.['kubernetes.io/ingress.class']).toBe('nginx');
    expect(backends(canary)).toEqual(['app.example.com → podinfo-canary:80']);
  });

  it("renders the NGINX A/B tutorial with Flagger's header and cookie annotations", async () => {
    const applied = await applyRendered(await render(`${fixtures}/nginx/ab-testing`));

    expectStoredAsSent(applied);
    expect(
      prefixed(named(applied, 'Ingress', 'podinfo-ab-canary').stored, 'nginx.ingress.kubernetes.io/'),
    ).toEqual({
      canary: 'true',
      'canary-weight': '0',
      'canary-by-header': 'x-canary',
      'canary-by-header-value': 'insider',
      'canary-by-cookie': 'canary',
    });
  });

  it.each([
    [0, 'False()'],
    [5, 'Weight(100)'],
  ])('renders the Skipper tutorial at weight %i as Flagger weights it (%s)', async (weight, predicate) => {
    const applied = await applyRendered(await render(`${fixtures}/skipper`, { weight }));

    expectStoredAsSent(applied);
    const canary = named(applied, 'Ingress', 'podinfo-canary').stored;
    expect(prefixed(canary, 'zalando.org/')).toEqual({
      'backend-weights': `{"podinfo-canary":${weight},"podinfo-primary":${100 - weight}}`,
      'skipper-predicate': predicate,
    });
    expect(backends(canary)).toEqual([
      'app.example.com → podinfo-primary:80',
      'app.example.com → podinfo-canary:80',
    ]);
  });

  it.each([
    [0, [['podinfo-primary', 100]]],
    [
      5,
      [
        ['podinfo-primary', 95],
        ['podinfo-canary', 5],
      ],
    ],
  ])(
    'renders the Traefik tutorial at weight %i as the TraefikService Flagger writes',
    async (weight, expected) => {
      const applied = await applyRendered(await render(`${fixtures}/traefik`, { weight }));

      expectStoredAsSent(applied);
      const { stored } = named(applied, 'TraefikService', 'podinfo');
      expect(stored.apiVersion).toBe('traefik.io/v1alpha1');
      expect(stored.spec).toEqual({
        weighted: {
          services: expected.map(([name, w]) => ({ name, namespace: 'test', port: 80, weight: w })),
        },
      });
    },
  );
});
