import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { pino } from 'pino';
import { GitOpsNotifier, type NotifyResult } from '../../../src/kube/gitops-notifier.js';
import { kubeConfigFor } from '../../../harness/control-plane.js';
import { toolObjects } from '../../support/gitops-objects.js';
import { RawKube, refOf } from '../../support/raw-kube.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

// deploy/notify/: the optional rights of --notify, applied as written (the cluster-scoped names and the
// ServiceAccount's namespace made unique per test), then used for real with a token of the ServiceAccount.
const admin = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(admin);
const kube = new RawKube(inject('controlPlane'));
const execFileAsync = promisify(execFile);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
afterAll(() => kube.close());

/** The ServiceAccount `gitcanary` in a new namespace, bound by deploy/notify/ only; its kubeconfig. */
async function installNotifyRbac() {
  const system = await createTestNamespace(admin, 'gcsys');
  const unique = `gitcanary-notify-${system}`;
  await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({
    namespace: system,
    body: { metadata: { name: 'gitcanary' } },
  });
  for (const file of ['cluster-role.yaml', 'cluster-role-binding.yaml']) {
    const text = (await readFile(join('deploy/notify', file), 'utf8')).replaceAll(
      'namespace: gitcanary-system',
      `namespace: ${system}`,
    );
    for (const doc of loadAll(text) as (KubernetesObject & { roleRef?: { name: string } })[]) {
      const object = structuredClone(doc);
      if (object.metadata) object.metadata.name = unique;
      if (object.roleRef) object.roleRef.name = unique;
      await objects.create(object);
      cleanups.push(() => objects.delete(object).then(() => undefined));
    }
  }
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: 'gitcanary',
    namespace: system,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  if (!token.status?.token) throw new Error('TokenRequest returned no token');
  return kubeConfigFor({ ...inject('controlPlane'), token: token.status.token });
}

describe('the RBAC of --notify in deploy/notify/', () => {
  it('lets gitcanary annotate a GitRepository and an Application, and do nothing else to them', async () => {
    const kc = await installNotifyRbac();
    const ns = await createTestNamespace(admin, 'gcnotify');
    const git = { url: 'https://git.example.test/deploy.git' };
    const made = [
      ...toolObjects({ tool: 'flux', name: 'apps', namespace: ns, git, path: 'apps', intervalSeconds: 60 }),
      ...toolObjects({ tool: 'argocd', name: 'apps', namespace: ns, git, path: 'apps', intervalSeconds: 60 }),
    ];
    for (const object of made) expect((await kube.create(object)).status).toBe(201);
    const results: [string, NotifyResult][] = [];
    const notifier = new GitOpsNotifier(
      kc,
      [
        { tool: 'flux', namespace: ns, name: 'apps' },
        { tool: 'argocd', namespace: ns, name: 'apps' },
      ],
      {
        logger: pino({ level: 'silent' }),
        clock: () => new Date(),
        onResult: (t, r) => results.push([t, r]),
      },
    );

    await notifier.notify();

    expect(results.sort()).toEqual([
      [`argocd:${ns}/apps`, 'success'],
      [`flux:${ns}/apps`, 'success'],
    ]);
    const asGitcanary = KubernetesObjectApi.makeApiClient(kc);
    const status = (call: Promise<unknown>) =>
      call.then(
        () => 200,
        (err: { code?: number }) => err.code,
      );
    const [gitRepository, kustomization, application] = made.map(refOf);
    const header = (ref: typeof gitRepository) => ({
      apiVersion: ref?.apiVersion ?? '',
      kind: ref?.kind ?? '',
      metadata: { name: ref?.name ?? '', namespace: ref?.namespace ?? '' },
    });
    expect(await status(asGitcanary.read(header(gitRepository)))).toBe(403);
    expect(await status(asGitcanary.delete(header(application)))).toBe(403);
    // The Kustomization is never annotated, so not even patch is granted on it.
    const patch = {
      ...header(kustomization),
      metadata: { ...header(kustomization).metadata, annotations: { a: 'b' } },
    };
    expect(
      await status(
        asGitcanary.patch(
          patch,
          undefined,
          undefined,
          'gitcanary',
          undefined,
          'application/merge-patch+json',
        ),
      ),
    ).toBe(403);
  });

  it('is in the cluster-wide install (`kustomize build deploy/`) and not in the namespaced one', async () => {
    const build = async (dir: string) =>
      (await execFileAsync(inject('kustomizeBinary'), ['build', dir], { maxBuffer: 16 << 20 })).stdout;
    const names = (text: string) =>
      (loadAll(text) as KubernetesObject[]).map((o) => `${o.kind}/${o.metadata?.name}`);

    expect(names(await build('deploy'))).toEqual(
      expect.arrayContaining(['ClusterRole/gitcanary-notify', 'ClusterRoleBinding/gitcanary-notify']),
    );
    expect(names(await build('deploy/namespaced')).filter((n) => n.includes('notify'))).toEqual([]);
  });
});
