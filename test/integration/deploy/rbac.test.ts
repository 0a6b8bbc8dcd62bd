import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { pino } from 'pino';
import { LeaseLock, microTime } from '../../../src/daemon/lease-lock.js';
import { openRepository } from '../../../src/git/repository.js';
import { Cluster } from '../../../src/kube/cluster.js';
import { describeKubeError } from '../../../src/kube/errors.js';
import { Reconciler } from '../../../src/reconcile/reconciler.js';
import { kubeConfigFor } from '../../support/control-plane.js';
import { createBareRepository } from '../../support/git-server.js';
import { HumanClone } from '../../support/human-clone.js';
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
async function install(files: string[], workload?: string): Promise<Install> {
  const system = await createTestNamespace(admin, 'gcsys');
  const work = workload ?? (await createTestNamespace(admin, 'gcwork'));
  const clusterName = `gitcanary-${system}`;
  for (const file of files) {
    const text = (await readFile(join('deploy', file), 'utf8'))
      .replaceAll('namespace: gitcanary-system', `namespace: ${system}`)
      .replaceAll('namespace: demo', `namespace: ${work}`);
    for (const doc of loadAll(text) as KubernetesObject[]) {
      const object = structuredClone(doc) as KubernetesObject & { roleRef?: { kind: string; name: string } };
      if (object.kind?.startsWith('Cluster') && object.metadata) object.metadata.name = clusterName;
      if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = clusterName;
      await objects.create(object);
      if (object.kind?.startsWith('Cluster')) {
        cleanups.push(() => objects.delete(object).then(() => undefined));
      }
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
  const reconciler = new Reconciler({
    repo: await openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: gitServer.username, password: gitServer.password },
    }),
    cluster: new Cluster(kc),
    applies: true,
    root: '',
    defaultNamespace: 'default',
    author: { name: 'gitcanary', email: 'gitcanary@test' },
    clock: () => new Date('2026-11-26T10:00:00Z'),
    logger: pino({ level: 'silent' }),
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
    expect(
      await statusOf(() => core.deleteNamespacedService({ namespace: workload, name: 'podinfo-canary' })),
    ).toBe(403);
    expect(await statusOf(() => core.listNamespacedService({ namespace: other }))).toBe(403);
    expect(await statusOf(() => core.listNamespacedPod({ namespace: workload }))).toBe(403);
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
