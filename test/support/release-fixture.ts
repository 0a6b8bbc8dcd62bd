// The fixture of the end-to-end release tests: a repository on the test git server with a target Service
// and a Canary, a person's clone of it, and a Reconciler on the real control plane with a clock the test
// moves. Call `releaseCleanup()` from afterEach.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { AnalysisReport } from '../../src/core/analysis-report.js';
import { openRepository, type Repository } from '../../src/git/repository.js';
import { Cluster } from '../../src/kube/cluster.js';
import { LiveCache } from '../../src/kube/live-cache.js';
import type { Reconciler } from '../../src/reconcile/reconciler.js';
import type { ReconcileSummary } from '../../src/reconcile/outcomes.js';
import type { AnalysisRequest, ReconcilerOptions } from '../../src/reconcile/context.js';
import { createReconciler } from '../../src/reconcile/create-reconciler.js';
import { createBareRepository } from '../../harness/git-server.js';
import { HumanClone } from '../../harness/human-clone.js';
import { createTestNamespace, testKubeConfig } from './test-namespace.js';
import './provided-context.js';

export const server = inject('gitServer');
export const kc = testKubeConfig();
export const objects = KubernetesObjectApi.makeApiClient(kc);

export const service = (ns: string, spec: string) => `apiVersion: v1
kind: Service
metadata:
  name: podinfo
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: podinfo
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{}'
spec:
${spec}`;

export const clusterIpSpec = (color: string) => `  selector:
    app: podinfo-${color}
  ports:
    - name: http
      port: 9898
      targetPort: http
`;

export const canary = (ns: string, provider = 'gatewayapi') => `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  targetRef:
    apiVersion: v1
    kind: Service
    name: podinfo
  provider: ${provider}
  service:
    port: 9898
    gatewayRefs:
      - name: public-gateway
        namespace: ${ns}
  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 30
    stepWeight: 10
`;

export interface Setup {
  ns: string;
  url: string;
  auth: { username: string; password: string };
  repo: Repository;
  human: HumanClone;
  cluster: Cluster;
  reconciler: Reconciler;
  clock: { now: Date };
  reconcile(minutes: number): Promise<ReconcileSummary>;
  /**
   * Another process on the same repository and cluster (its own store), e.g. another shard; its reconcile
   * moves the same clock.
   */
  another(options: Pick<ReconcilerOptions, 'shard'>): Promise<(minutes: number) => Promise<ReconcileSummary>>;
}

const cleanups: (() => Promise<void>)[] = [];
export async function releaseCleanup(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
}

export async function setup(
  files: (ns: string) => Record<string, string>,
  options: {
    applies?: boolean;
    analyze?: (request: AnalysisRequest) => Promise<AnalysisReport>;
    notify?: ReconcilerOptions['notify'];
    restored?: ReconcilerOptions['restored'];
    /** Read the live state from a watch-backed cache of the test namespace, as `gitcanary run` does. */
    liveCache?: boolean;
    shard?: string;
  } = {},
): Promise<Setup> {
  const ns = await createTestNamespace(kc, 'release');
  const name = `release-${ns}`;
  const url = await createBareRepository(server, name);
  const human = await HumanClone.of(server, name);
  await human.commitAndPush(files(ns), 'add podinfo');
  cleanups.push(() => human.dispose());
  const openStore = async () => {
    const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-workdir-'));
    cleanups.push(() => rm(workdir, { recursive: true, force: true }));
    return openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: server.username, password: server.password },
    });
  };
  const repo = await openStore();
  const live = options.liveCache ? await LiveCache.start({ kubeConfig: kc, namespaces: [ns] }) : undefined;
  if (live) cleanups.push(() => Promise.resolve(live.stop()));
  const cluster = new Cluster(kc, live ? { live } : {});
  const start = Date.parse('2026-11-26T10:00:00Z');
  const clock = { now: new Date(start) };
  const common = {
    cluster,
    applies: options.applies ?? true,
    clock: () => clock.now,
    ...(options.analyze ? { analyze: options.analyze } : {}),
  };
  const reconciler = createReconciler({
    ...common,
    repo,
    ...(options.notify ? { notify: options.notify } : {}),
    ...(options.restored ? { restored: options.restored } : {}),
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
  });
  const at = (minutes: number) => (clock.now = new Date(start + minutes * 60_000));
  return {
    ns,
    url,
    auth: { username: server.username, password: server.password },
    repo,
    human,
    cluster,
    reconciler,
    clock,
    reconcile: (minutes: number) => {
      at(minutes);
      return reconciler.reconcileOnce();
    },
    another: async ({ shard }) => {
      const other = createReconciler({
        ...common,
        repo: await openStore(),
        ...(shard !== undefined ? { shard } : {}),
      });
      return (minutes: number) => {
        at(minutes);
        return other.reconcileOnce();
      };
    },
  };
}

export type Live = KubernetesObject & {
  spec: {
    selector?: Record<string, string>;
    externalName?: string;
    clusterIP?: string;
    rules?: { backendRefs: { name: string; weight: number }[] }[];
  };
};

export async function read(
  ns: string,
  kind: 'Service' | 'HTTPRoute',
  name: string,
): Promise<Live | undefined> {
  const apiVersion = kind === 'Service' ? 'v1' : 'gateway.networking.k8s.io/v1';
  try {
    return await objects.read<Live>({ apiVersion, kind, metadata: { name, namespace: ns } });
  } catch {
    return undefined;
  }
}

export async function weights(ns: string): Promise<number[] | undefined> {
  const route = await read(ns, 'HTTPRoute', 'podinfo');
  return route?.spec.rules?.[0]?.backendRefs.map((b) => b.weight);
}

export async function selectors(ns: string): Promise<[string | undefined, string | undefined]> {
  const [primary, canaryService] = await Promise.all([
    read(ns, 'Service', 'podinfo-primary'),
    read(ns, 'Service', 'podinfo-canary'),
  ]);
  return [primary?.spec.selector?.app, canaryService?.spec.selector?.app];
}
