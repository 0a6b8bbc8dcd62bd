// `gitcanary render` against the real API server: every object rendered for every Gateway API feature is
// accepted by the real Gateway API CRDs (structural schemas and CEL rules), stored exactly as rendered (the
// route is written fully defaulted, so the server adds nothing), and a second manager applying the same
// objects without force meets no conflict.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { renderCheckout } from '../../src/cli/commands/render.js';
import type { KubeObject } from '../../src/core/model.js';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

const kc = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-render-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function render(
  dir: string,
  flags: { weight?: number; defaultProvider?: string } = {},
): Promise<KubeObject[]> {
  const { output, failed } = await renderCheckout(dir, {
    defaultNamespace: 'default',
    defaultProvider: flags.defaultProvider ?? 'kubernetes',
    output: 'json',
    ...(flags.weight !== undefined ? { weight: flags.weight } : {}),
  });
  expect(output.stderr.split('\n').filter((l) => l && !l.includes(': warning: '))).toEqual([]);
  expect(failed).toBe(false);
  return (JSON.parse(output.stdout) as { items: KubeObject[] }).items;
}

const apply = (object: KubeObject, manager: string, force: boolean) =>
  objects.patch(object, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);

/** Applies what gitcanary generates (not the state document) in a fresh namespace, as gitcanary would. */
async function applyRendered(items: KubeObject[]): Promise<{ sent: KubeObject; stored: KubeObject }[]> {
  const namespace = await createTestNamespace(kc, 'render');
  const generated = items
    .filter((o) => o.kind !== 'CanaryState')
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  const result: { sent: KubeObject; stored: KubeObject }[] = [];
  for (const sent of generated) {
    await apply(sent, 'gitcanary', true);
    // A second manager (a GitOps tool) applying the same file, without forcing: no conflict.
    const stored = await apply(sent, 'kustomize-controller', false);
    result.push({ sent, stored });
  }
  return result;
}

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: test }
spec:
  selector: { app: ${name}-blue }
  ports: [{ name: http, port: 9898 }]
`;

const everything = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: web, namespace: test }
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: core/v1, kind: Service, name: web }
  service:
    port: 9898
    hosts: [www.example.com]
    gatewayRefs:
      - { name: public, namespace: gateways, sectionName: https, port: 443 }
    match:
      - uri: { prefix: /api }
        method: { exact: GET }
      - uri: { regex: '^/v[0-9]+/.*' }
    headers:
      request: { set: { x-release: canary }, add: { x-trace: on }, remove: [x-debug] }
      response: { set: { x-served-by: gitcanary } }
    rewrite: { uri: /v2, authority: api.example.com }
    mirror:
      - backendRef: { name: shadow, port: 8080 }
        percent: 5
    timeout: 30s
    backendTimeout: 10s
    apex: { labels: { team: web }, annotations: { note: apex } }
    primary: { labels: { role: primary } }
    canary: { annotations: { role: canary } }
    trafficDistribution: PreferClose
  analysis:
    interval: 1m
    threshold: 2
    stepWeights: [5, 25, 50]
    mirror: true
    mirrorWeight: 50
    sessionAffinity: { cookieName: canary-visitor, primaryCookieName: primary-visitor, maxAge: 600, secure: true, sameSite: Lax }
`;

describe('gitcanary render, applied to the real API server', () => {
  it.each([0, 5, 50])(
    'renders every Gateway API feature at weight %i in objects the API server stores as they are',
    async (weight) => {
      const dir = await checkout({ 'web/service.yaml': service('web'), 'web/canary.yaml': everything });

      const applied = await applyRendered(await render(dir, { weight }));

      expect(applied.map(({ sent }) => `${sent.kind}/${sent.metadata.name}`)).toEqual([
        'Service/web-primary',
        'Service/web-canary',
        'HTTPRoute/web',
      ]);
      const route = applied[2];
      expect(route?.stored.spec).toEqual(route?.sent.spec);
      expect(applied[0]?.stored.spec).toMatchObject({ trafficDistribution: 'PreferClose' });
    },
  );

  it('renders an A/B Canary and a GAMMA route (a Service parent) as v1beta1 HTTPRoutes the API server accepts', async () => {
    const ab = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: shop, namespace: test }
spec:
  provider: gatewayapi:v1beta1
  targetRef: { kind: Service, name: shop }
  service:
    gatewayRefs: [{ group: '', kind: Service, name: shop, port: 9898 }]
  analysis:
    interval: 1m
    iterations: 3
    match:
      - headers: { user-agent: { regex: '.*Firefox.*' } }
      - queryParams: { canary: { exact: 'yes' } }
`;
    const dir = await checkout({ 'shop/service.yaml': service('shop'), 'shop/canary.yaml': ab });

    const applied = await applyRendered(await render(dir));

    const route = applied.find(({ sent }) => sent.kind === 'HTTPRoute');
    expect(route?.sent.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(route?.stored.spec).toEqual(route?.sent.spec);
  });

  it("renders the Canaries of Flagger's Gateway API tutorial, given the provider by --default-provider", async () => {
    const dir = 'test/fixtures/flagger/gateway-api';

    const applied = await applyRendered(await render(dir, { defaultProvider: 'gatewayapi:v1' }));

    expect(
      applied.filter(({ sent }) => sent.kind === 'HTTPRoute').map(({ sent }) => sent.metadata.name),
    ).toEqual(['podinfo-ab', 'podinfo-canary', 'podinfo-session']);
    for (const { sent, stored } of applied) expect(stored.spec).toMatchObject(sent.spec as object);
  });
});
