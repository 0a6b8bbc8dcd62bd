import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { LeaseLock, microTime } from '../../../src/kube/lease-lock.js';
import { openRepository } from '../../../src/git/repository.js';
import { Cluster } from '../../../src/kube/cluster.js';
import { describeKubeError } from '../../../src/kube/errors.js';
import { createReconciler } from '../../../src/reconcile/create-reconciler.js';
import { kubeConfigFor } from '../../../harness/control-plane.js';
import { createBareRepository } from '../../../harness/git-server.js';
import { HumanClone } from '../../../harness/human-clone.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

// The RBAC that deploy/ ships, applied as written (only the namespaces and the cluster-scoped names are
// made unique per test), then used for real: a token for the ServiceAccount, a reconcile as that identity,
// and writes outside the rules, which the API server must refuse.
const admin = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(admin);
const gitServer = inject('gitServer');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

interface Install {
  /** gitcanary's own namespace (gitcanary-system in deploy/). */
  system: string;
  /** Where the canary lives (demo in deploy/namespaced/). */
  workload: string;
  kc: KubeConfig;
}

/** Applies the given files of deploy/ with namespaces and cluster-scoped names renamed for this test. */
async function install(
  files: string[],
  workload?: string,
  edit: (text: string) => string = (text) => text,
): Promise<Install> {
  const system = await createTestNamespace(admin, 'gcsys');
  const work = workload ?? (await createTestNamespace(admin, 'gcwork'));
  // Cluster-scoped objects (and the references to them) get this test's suffix.
  const unique = (name: string) => `${name}-${system}`;
  for (const file of files) {
    const text = edit(await readFile(join('deploy', file), 'utf8'))
      .replaceAll('gitcanary-system', system)
      .replaceAll('namespace: demo', `namespace: ${work}`);
    for (const doc of loadAll(text) as KubernetesObject[]) {
      const object = structuredClone(doc) as KubernetesObject & {
        roleRef?: { kind: string; name: string };
        spec?: { policyName?: string };
      };
      const clusterScoped = clusterScopedKinds.has(object.kind ?? '');
      if (clusterScoped && object.metadata?.name) object.metadata.name = unique(object.metadata.name);
      if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = unique(object.roleRef.name);
      if (object.spec?.policyName) object.spec.policyName = unique(object.spec.policyName);
      await objects.create(object);
      if (clusterScoped) cleanups.push(() => objects.delete(object).then(() => undefined));
    }
  }
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: 'gitcanary',
    namespace: system,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  if (!token.status?.token) throw new Error('TokenRequest returned no token');
  const kc = kubeConfigFor({ ...inject('controlPlane'), token: token.status.token });
  return { system, workload: work, kc };
}

const clusterScopedKinds = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

const baseRbac = [
  'base/service-account.yaml',
  'base/cluster-role.yaml',
  'base/leader-election-role.yaml',
  'base/leader-election-role-binding.yaml',
];

/** Reconciles a one-Canary repository in `ns` as the identity of `kc`. */
async function reconcileAs(kc: KubeConfig, ns: string) {
  const name = `rbac-${ns}`;
  const url = await createBareRepository(gitServer, name);
  const human = await HumanClone.of(gitServer, name);
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-rbac-'));
  cleanups.push(
    () => human.dispose(),
    () => rm(workdir, { recursive: true, force: true }),
  );
  const example = async (file: string) =>
    (await readFile(join('examples/podinfo', file), 'utf8')).replaceAll(
      'namespace: demo',
      `namespace: ${ns}`,
    );
  await human.commitAndPush(
    {
      'podinfo/service.yaml': await example('service.yaml'),
      'podinfo/canary.yaml': await example('canary.yaml'),
    },
    'add podinfo',
  );
  const reconciler = createReconciler({
    repo: await openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: gitServer.username, password: gitServer.password },
    }),
    cluster: new Cluster(kc),
    clock: () => new Date('2026-11-26T10:00:00Z'),
  });
  return reconciler.reconcileOnce();
}

/** The HTTP status the API server answers `call` with (200 when it succeeds). */
async function statusOf(call: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await call();
    return 200;
  } catch (err) {
    return describeKubeError(err).status;
  }
}

describe('the RBAC in deploy/', () => {
  it('namespaced: lets gitcanary reconcile in its namespace and refuses everything else', async () => {
    const { system, workload, kc } = await install([...baseRbac, 'namespaced/role-binding.yaml']);
    const core = kc.makeApiClient(CoreV1Api);
    const other = await createTestNamespace(admin, 'gcother');

    const summary = await reconcileAs(kc, workload);

    expect(summary.canaries).toMatchObject([{ canary: `${workload}/podinfo`, phase: 'Initialized' }]);
    expect(summary.changes.created).toHaveLength(3);
    expect(summary.changes.failed).toEqual([]);
    const configMap = { metadata: { name: 'nope' }, data: { a: 'b' } };
    expect(
      await statusOf(() => core.createNamespacedConfigMap({ namespace: workload, body: configMap })),
    ).toBe(403);
    expect(await statusOf(() => core.listNamespacedSecret({ namespace: workload }))).toBe(403);
    expect(await statusOf(() => core.listNamespacedSecret({ namespace: system }))).toBe(403);
    expect(await statusOf(() => core.listNamespacedService({ namespace: other }))).toBe(403);
    expect(await statusOf(() => core.deleteNamespacedService({ namespace: other, name: 'any' }))).toBe(403);
    expect(await statusOf(() => core.listNamespacedPod({ namespace: workload }))).toBe(403);
    // No `update`: gitcanary writes by server-side apply (a patch), never by PUT.
    const generated = await core.readNamespacedService({ namespace: workload, name: 'podinfo-canary' });
    expect(
      await statusOf(() =>
        core.replaceNamespacedService({ namespace: workload, name: 'podinfo-canary', body: generated }),
      ),
    ).toBe(403);
  });

  it('cluster-wide: lets gitcanary reconcile in any namespace, still without Secrets', async () => {
    const { kc } = await install([...baseRbac, 'cluster-role-binding.yaml']);
    const anywhere = await createTestNamespace(admin, 'gcany');

    const summary = await reconcileAs(kc, anywhere);

    expect(summary.canaries).toMatchObject([{ phase: 'Initialized' }]);
    expect(summary.changes.created).toHaveLength(3);
    const core = kc.makeApiClient(CoreV1Api);
    expect(await statusOf(() => core.readNamespacedSecret({ namespace: anywhere, name: 'any' }))).toBe(403);
    expect(await statusOf(() => core.listSecretForAllNamespaces())).toBe(403);
  });

  it('grants exactly the verbs the code uses on the kinds it writes: no update', async () => {
    const role = loadAll(await readFile('deploy/base/cluster-role.yaml', 'utf8'))[0] as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    const verbs = (resource: string) => role.rules.find((r) => r.resources.includes(resource))?.verbs;

    // get: Cluster.get; list, watch: LiveCache; create + patch: server-side apply (create when new);
    // delete: Cluster.delete, when a removed Canary's objects go (src/core/removal.ts).
    expect(verbs('services')).toEqual(['get', 'list', 'watch', 'create', 'patch', 'delete']);
    for (const routed of [
      'httproutes',
      'virtualservices',
      'destinationrules',
      'trafficsplits',
      'httpproxies',
      'ingresses',
      'traefikservices',
    ])
      expect(verbs(routed), routed).toEqual(['get', 'list', 'watch', 'create', 'patch', 'delete']);
    expect(verbs('events')).toEqual(['create']);
    expect(verbs('canaries')).toEqual(['get']);
  });

  it('needs create for a server-side apply that creates, patch alone for one that changes', async () => {
    const withoutCreate = (text: string) =>
      text.replace(
        'verbs: [get, list, watch, create, patch, delete]',
        'verbs: [get, list, watch, patch, delete]',
      );
    const { workload, kc } = await install(
      [...baseRbac, 'namespaced/role-binding.yaml'],
      undefined,
      withoutCreate,
    );
    const service = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: workload, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
      spec: { selector: { app: name }, ports: [{ port: 80 }] },
    });
    await objects.create(service('existing'));
    const apply = (object: KubernetesObject & { spec: unknown }) =>
      statusOf(() =>
        KubernetesObjectApi.makeApiClient(kc).patch(
          object,
          undefined,
          undefined,
          'gitcanary',
          true,
          PatchStrategy.ServerSideApply,
        ),
      );

    expect(await apply(service('new'))).toBe(403);
    expect(
      await apply({ ...service('existing'), spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } }),
    ).toBe(200);
  });

  it('allows the leader election Lease in gitcanary’s namespace only, and only by its name', async () => {
    const { system, workload, kc } = await install(baseRbac);
    const lock = new LeaseLock(kc, system, 'gitcanary-leader');
    const now = microTime(new Date());

    const created = await lock.create({ holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: now });
    const read = await lock.get();
    const renewed =
      read && (await lock.replace({ ...read, spec: { ...read.spec, holderIdentity: 'me-again' } }));

    expect(created?.spec?.holderIdentity).toBe('me');
    expect(renewed?.spec?.holderIdentity).toBe('me-again');
    const leases = kc.makeApiClient(CoordinationV1Api);
    expect(await statusOf(() => leases.readNamespacedLease({ namespace: system, name: 'another' }))).toBe(
      403,
    );
    expect(
      await statusOf(() => leases.deleteNamespacedLease({ namespace: system, name: 'gitcanary-leader' })),
    ).toBe(403);
    expect(await statusOf(() => new LeaseLock(kc, workload, 'gitcanary-leader').create({}))).toBe(403);
  });
});

describe('the admission policy in deploy/', () => {
  /** The target Service as a person applies it: not labelled as gitcanary's. */
  async function humanTarget(ns: string) {
    const text = (await readFile('examples/podinfo/service.yaml', 'utf8')).replaceAll(
      'namespace: demo',
      `namespace: ${ns}`,
    );
    const target = loadAll(text)[0] as KubernetesObject;
    await objects.create(target);
    return target;
  }

  const labelled = (ns: string, name: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  });

  /** Policies take effect when the API server has loaded them: wait until an unlabelled create is denied. */
  async function waitUntilEnforced(api: KubernetesObjectApi, ns: string) {
    const probe = { ...labelled(ns, 'probe'), metadata: { name: 'probe', namespace: ns } };
    for (let tries = 0; tries < 100; tries += 1) {
      if ((await statusOf(() => api.create(probe, undefined, 'All'))) === 403) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the admission policy was not enforced within 10 s');
  }

  it('lets gitcanary write its own objects and refuses the target, unlabelled objects and kube-system', async () => {
    // Cluster-wide RBAC, so that only the policy stands between gitcanary and kube-system.
    const { workload, kc } = await install([
      ...baseRbac,
      'base/admission-policy.yaml',
      'cluster-role-binding.yaml',
    ]);
    const asGitcanary = KubernetesObjectApi.makeApiClient(kc);
    await waitUntilEnforced(asGitcanary, workload);
    const target = await humanTarget(workload);

    const summary = await reconcileAs(kc, workload);

    expect(summary.changes.created).toHaveLength(3);
    expect(summary.changes.failed).toEqual([]);
    const apply = (object: KubernetesObject) =>
      statusOf(() =>
        asGitcanary.patch(object, undefined, undefined, 'gitcanary', true, PatchStrategy.ServerSideApply),
      );
    const changedTarget = {
      ...target,
      metadata: { ...target.metadata },
      spec: { selector: { app: 'podinfo-evil' }, ports: [{ name: 'http', port: 9898 }] },
    } as KubernetesObject;
    const adopted = {
      ...changedTarget,
      metadata: { ...target.metadata, labels: { 'app.kubernetes.io/managed-by': 'gitcanary' } },
    } as KubernetesObject;
    const refused = {
      'the target Service': await apply(changedTarget),
      'the target Service, labelled to adopt it': await apply(adopted),
      'an unlabelled Service': await apply({
        ...labelled(workload, 'sneaky'),
        metadata: { name: 'sneaky', namespace: workload },
      }),
      'a labelled Service in kube-system': await apply(labelled('kube-system', 'sneaky')),
      'deleting the target Service': await statusOf(() => asGitcanary.delete(target)),
      'its own Service, unlabelled': await statusOf(() =>
        asGitcanary.patch(
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name: 'podinfo-canary',
              namespace: workload,
              labels: { 'app.kubernetes.io/managed-by': null as unknown as string },
            },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          PatchStrategy.MergePatch,
        ),
      ),
    };
    expect(refused).toEqual({
      'the target Service': 403,
      'the target Service, labelled to adopt it': 403,
      'deleting the target Service': 403,
      'an unlabelled Service': 403,
      'a labelled Service in kube-system': 403,
      'its own Service, unlabelled': 403,
    });
    // Its own objects stay writable, and the policy leaves everyone else alone.
    expect(await apply(labelled(workload, 'podinfo-extra'))).toBe(200);
    expect(await statusOf(() => asGitcanary.delete(labelled(workload, 'podinfo-extra')))).toBe(200);
    expect(
      await statusOf(() =>
        objects.patch(changedTarget, undefined, undefined, 'a-person', true, PatchStrategy.ServerSideApply),
      ),
    ).toBe(200);
  });
});
