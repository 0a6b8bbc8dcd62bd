import { load } from 'js-yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { commitWithCli, createSeededRepository } from '../support/git-cli.js';
import { BuildError } from '../support/gitops-build.js';
import { GitOpsEmulator, type ArgoTracking, type Tool } from '../support/gitops-emulator.js';
import { RawKube, type Unstructured } from '../support/raw-kube.js';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

// The emulator the issue 13 suite trusts (test/support/gitops-emulator.ts), checked on its own: what each
// tool builds from a folder, what it prunes, that a refused object fails the whole sync, that a conflict it
// forces through is counted, and that `lag` applies the previous revision.
const server = inject('gitServer');
const kube = new RawKube(inject('controlPlane'));
const kc = testKubeConfig();
afterAll(() => kube.close());

const svc = (ns: string, name: string, app = name) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${app}
  ports:
    - port: 80
`;

async function emulate(
  tool: Tool,
  tracking: ArgoTracking | undefined,
  files: (ns: string) => Record<string, string>,
  options: { lag?: boolean } = {},
) {
  const ns = await createTestNamespace(kc, 'emulator');
  const repo = await createSeededRepository(server, files(ns));
  const clock = { now: new Date('2026-11-26T10:00:00Z') };
  const emulator = await GitOpsEmulator.start({
    tool,
    ...(tracking ? { tracking } : {}),
    name: 'web',
    namespace: ns,
    git: { url: repo.url, dir: repo.bareDir },
    path: 'apps/web',
    ...(options.lag ? { lag: true } : {}),
    intervalSeconds: 30,
    clock: () => clock.now,
    kustomize: inject('kustomizeBinary'),
    kube,
  });
  const service = (name: string) => kube.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name });
  return { ns, repo, emulator, service };
}

const tools: [string, Tool, ArgoTracking | undefined][] = [
  ['Flux', 'flux', undefined],
  ['Argo CD (annotation tracking)', 'argocd', 'annotation'],
  ['Argo CD (label tracking)', 'argocd', 'label'],
];

describe.each(tools)('the GitOps emulator as %s', (_, tool, tracking) => {
  it('applies the folder with its marks, then prunes what it applied and the build no longer has, and nothing else', async () => {
    const { ns, repo, emulator, service } = await emulate(tool, tracking, (ns) => ({
      'apps/web/a.yaml': svc(ns, 'a'),
      'apps/web/b.yaml': svc(ns, 'b'),
      'apps/web/nested/c.yaml': svc(ns, 'c'),
      'apps/web/README.md': 'not a manifest',
    }));
    // Someone else's Service in the same namespace: no tool may prune it.
    expect((await kube.create(load(svc(ns, 'd')) as Unstructured)).status).toBe(201);

    const first = await emulator.sync();
    await commitWithCli(repo.bareDir, { 'apps/web/b.yaml': null }, 'drop b');
    const second = await emulator.sync();

    // Flux lists the folder recursively; Argo CD's directory source reads only the folder's own files.
    const applied = tool === 'flux' ? ['a', 'b', 'c'] : ['a', 'b'];
    expect(first.written.sort()).toEqual(applied.map((n) => `Service/${ns}/${n}`));
    const a = await service('a');
    if (tool === 'flux')
      expect(a?.metadata.labels).toMatchObject({ 'kustomize.toolkit.fluxcd.io/name': 'web' });
    else if (tracking === 'label')
      expect(a?.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'web' });
    else
      expect(a?.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/tracking-id': `web:/Service:${ns}/a`,
      });
    expect(second.pruned).toEqual([`Service/${ns}/b`]);
    expect(await service('b')).toBeUndefined();
    expect(await service('a')).toBeDefined();
    expect(await service('d')).toBeDefined();
    expect(second.written).toEqual([]);
  });

  it('fails the whole sync when one object is refused, and applies nothing', async () => {
    const { emulator, service } = await emulate(tool, tracking, (ns) => ({
      'apps/web/a.yaml': svc(ns, 'a'),
      // No CRD serves flagger.app on the test API server.
      'apps/web/canary.yaml': `apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: a\n  namespace: ${ns}\nspec: {}\n`,
    }));

    const sync = emulator.sync();

    await expect(sync).rejects.toBeInstanceOf(BuildError);
    await expect(sync).rejects.toThrow(/flagger\.app/);
    expect(await service('a')).toBeUndefined();
  });

  it('builds only what a kustomization.yaml lists, when the folder has one', async () => {
    const { emulator, service } = await emulate(tool, tracking, (ns) => ({
      'apps/web/kustomization.yaml': 'resources:\n  - a.yaml\n',
      'apps/web/a.yaml': svc(ns, 'a'),
      'apps/web/b.yaml': svc(ns, 'b'),
    }));

    await emulator.sync();

    expect(await service('a')).toBeDefined();
    expect(await service('b')).toBeUndefined();
  });

  it('counts a conflict with another field manager, and forces it through as the tool does', async () => {
    const { ns, emulator, service } = await emulate(tool, tracking, (ns) => ({
      'apps/web/a.yaml': svc(ns, 'a'),
    }));
    const other = load(svc(ns, 'a', 'other')) as Unstructured;
    expect((await kube.apply(other, { fieldManager: 'someone', force: false })).status).toBe(201);

    const sync = await emulator.sync();

    expect(sync.conflicts).toEqual([expect.stringMatching(/^Service\/.+\/a: .*conflict.*someone.*selector/)]);
    expect((await service('a'))?.spec).toMatchObject({ selector: { app: 'a' } });
    expect(await emulator.reapplyConflicts()).toEqual([]);
  });
});

describe('the GitOps emulator with lag', () => {
  it('applies the revision it fetched at its previous sync, as a tool that syncs before it refreshes', async () => {
    const { ns, repo, emulator, service } = await emulate(
      'flux',
      undefined,
      (ns) => ({ 'apps/web/a.yaml': svc(ns, 'a', 'blue') }),
      { lag: true },
    );
    await emulator.sync();
    await commitWithCli(repo.bareDir, { 'apps/web/a.yaml': svc(ns, 'a', 'green') }, 'green');

    const stale = await emulator.sync();
    const staleApp = (await service('a'))?.spec;
    const caughtUp = await emulator.sync();

    expect(staleApp).toMatchObject({ selector: { app: 'blue' } });
    expect(stale.revision).not.toBe(caughtUp.revision);
    expect((await service('a'))?.spec).toMatchObject({ selector: { app: 'green' } });
  });
});
