// Builds the repositories the benchmark runs against: one folder per app under `apps/`, each with a
// target Service, its Canary, a Deployment and a README, some as one multi-document file and some as
// separate files, plus unrelated files at the top. The generated files (`<app>.gitcanary.yaml`) are
// written by gitcanary's own Reconciler against an in-memory repository, so they are exactly what
// gitcanary would have committed; one app (`stepApp`) is left mid-analysis, due for its next step (the
// shard-contention scenario asks for more of them, and for the Canaries spread over shard labels).
import { createHash } from 'node:crypto';
import { loadAll } from 'js-yaml';
import type { Cluster } from '../src/kube/cluster.js';
import type { CommitInput, Repository, RepositoryFile, TreeChange } from '../src/git/repository.js';
import { emptyGitStats } from '../src/git/repository-context.js';
import { createReconciler } from '../src/reconcile/create-reconciler.js';

export interface BenchRepository {
  size: number;
  /** Every file of the first commit, by path. */
  files: Map<string, string>;
  namespaces: string[];
  /** The app whose generated file holds a Progressing analysis, due one interval after `epoch`. */
  stepApp: App;
  /** The app whose Service the changed-poll scenario edits. */
  changedApp: App;
  /** The apps left mid-analysis like `stepApp` (its first), all due one interval after `epoch`. */
  releasedApps: App[];
  /** The time the generated files were written; the step app's interval starts here. */
  epoch: Date;
  /** Primary, canary and route objects of every generated file, as `kubectl apply` would take them. */
  renderedObjects: string;
  /** The prefix of `namespaces`: `<prefix>-team-<n>`. */
  namespacePrefix: string;
  objectCount: number;
}

export interface App {
  name: string;
  namespace: string;
  dir: string;
  /** Where its target Service is written (a multi-document file for some apps). */
  serviceFile: string;
  generatedFile: string;
}

export interface GenerateOptions {
  /**
   * Labels the Canaries `gitcanary.dev/shard: shard-<i mod shards>` (round robin over the apps); 1 or
   * absent: no label.
   */
  shards?: number;
  /** How many apps (the first ones, so spread over the shards alike) are left mid-analysis; default 1. */
  released?: number;
}

/** The shard key of the i-th of `count` shards; one shard is the Canaries without the label. */
export const shardKey = (i: number, count: number) => (count > 1 ? `shard-${i}` : '');

const teams = 10;
export const analysisIntervalSeconds = 60;

/** The same objects in a copy of each team namespace, `<prefix>-<copy>-team-<n>`: for the peer's applies. */
export function objectsInCopy(gen: BenchRepository, copy: string): { objects: string; namespaces: string[] } {
  const from = `"${gen.namespacePrefix}-team-`;
  const to = `"${gen.namespacePrefix}-${copy}-team-`;
  return {
    objects: gen.renderedObjects.replaceAll(from, to),
    namespaces: gen.namespaces.map((ns) =>
      ns.replace(`${gen.namespacePrefix}-`, `${gen.namespacePrefix}-${copy}-`),
    ),
  };
}

export async function generateRepository(
  size: number,
  namespacePrefix: string,
  options: GenerateOptions = {},
): Promise<BenchRepository> {
  const shardCount = options.shards ?? 1;
  const released = Math.min(size, options.released ?? 1);
  const files = new Map<string, string>();
  const namespaces = Array.from({ length: Math.min(teams, size) }, (_, i) => `${namespacePrefix}-team-${i}`);
  const apps: App[] = [];
  files.set('README.md', `# Deployments of ${size} apps\n\nManaged by people and by gitcanary.\n`);
  files.set('.github/workflows/validate.yaml', workflow);
  files.set('clusters/production/kustomization.yaml', 'resources:\n  - ../../apps\n');
  for (let i = 0; i < size; i += 1) {
    const name = `app-${String(i).padStart(5, '0')}`;
    const namespace = namespaces[i % namespaces.length] ?? 'default';
    const dir = `apps/${name}`;
    // Every fifth app is released blue/green-style without a route (provider kubernetes).
    const provider = i % 5 === 4 ? 'kubernetes' : 'gatewayapi';
    const docs = {
      deployment: deployment(name, namespace),
      // One target in ten is a ClusterIP Service, the step app's among them.
      service: service(name, namespace, 'blue', 'v1', i % 10 === 0),
      canary: canary(name, namespace, provider, i === 0, shardKey(i % shardCount, shardCount)),
    };
    let serviceFile: string;
    if (i % 3 === 0) {
      serviceFile = `${dir}/${name}.yaml`;
      files.set(serviceFile, [docs.deployment, docs.service, docs.canary].join('---\n'));
    } else {
      serviceFile = `${dir}/service.yaml`;
      files.set(`${dir}/deployment.yaml`, docs.deployment);
      files.set(serviceFile, docs.service);
      files.set(`${dir}/canary.yaml`, docs.canary);
    }
    files.set(`${dir}/README.md`, `# ${name}\n\nOwned by ${namespace}. Release by editing the Service.\n`);
    apps.push({ name, namespace, dir, serviceFile, generatedFile: `${dir}/${name}.gitcanary.yaml` });
  }
  const [stepApp, changedApp] = apps;
  if (!stepApp || !changedApp) throw new Error('a bench repository needs at least two apps');

  // Initialize every Canary, then release the step app (and the other released apps) so that each is
  // Progressing at weight 0.
  const epoch = new Date('2026-01-05T09:00:00Z');
  const memory = new MemoryRepository(files);
  await reconcileInMemory(memory, epoch);
  const releasedApps = apps.slice(0, released);
  for (const app of releasedApps) {
    memory.write(
      app.serviceFile,
      (memory.files.get(app.serviceFile) ?? '')
        .replace(`  selector:\n    app: ${app.name}-blue`, `  selector:\n    app: ${app.name}-green`)
        .replace(`externalName: ${app.name}.blue.`, `externalName: ${app.name}.green.`),
    );
  }
  await reconcileInMemory(memory, epoch);
  for (const app of releasedApps) {
    const state = memory.files.get(app.generatedFile) ?? '';
    if (!/phase: Progressing/.test(state)) throw new Error(`${app.name} is not Progressing`);
  }

  const rendered: string[] = [];
  for (const app of apps) {
    for (const doc of loadAll(memory.files.get(app.generatedFile) ?? '') as { kind?: string }[]) {
      if (doc.kind === 'Service' || doc.kind === 'HTTPRoute') rendered.push(JSON.stringify(doc));
    }
  }
  return {
    size,
    files: memory.files,
    namespaces,
    namespacePrefix,
    stepApp,
    changedApp,
    releasedApps,
    epoch,
    // kubectl reads a file that starts with `{` as a stream of JSON objects.
    renderedObjects: `${rendered.join('\n')}\n`,
    objectCount: rendered.length,
  };
}

async function reconcileInMemory(repo: MemoryRepository, now: Date): Promise<void> {
  const cluster = {
    stats: { reads: 0, writes: 0 },
    get: () => Promise.resolve(undefined),
    peek: () => ({ object: undefined }),
    apply: () => Promise.reject(new Error('the generator never applies')),
    keepVersionOnly: () => undefined,
    liveChanges: () => undefined,
    takeLiveChanges: () => 'all',
  } as unknown as Cluster;
  const reconciler = createReconciler({
    repo,
    cluster,
    // Commit-only: the generator writes files, the benchmark's cold sync applies them.
    applies: false,
    clock: () => now,
  });
  const summary = await reconciler.reconcileOnce();
  const failed = summary.canaries.filter((c) => c.error);
  if (failed.length > 0 || summary.errors.length > 0) {
    throw new Error(`generated repository is invalid: ${JSON.stringify([...failed, ...summary.errors][0])}`);
  }
}

/** Just enough of a Repository for the Reconciler to plan and commit, held in memory. */
class MemoryRepository implements Repository {
  readonly branch = 'main';
  readonly displayUrl = 'memory:bench';
  readonly stats = emptyGitStats();
  private readonly blobs = new Map<string, string>();
  private head = 'memory-0';
  private commits = 0;

  constructor(readonly files: Map<string, string>) {}

  write(path: string, content: string): void {
    this.files.set(path, content);
    this.head = `memory-${++this.commits}`;
  }

  remoteHead = () => Promise.resolve(this.head);
  localHead = () => Promise.resolve<string | undefined>(this.head);
  fetch = () => Promise.resolve(this.head);
  push = () => Promise.resolve();
  // Nothing here tells people of what it commits.
  readRef = () => Promise.resolve(undefined);
  updateRef = () => Promise.resolve();
  readCommit = () => Promise.resolve(undefined);
  readFileAt = () => Promise.resolve(undefined);

  listFiles(_commit: string, filter: (path: string) => boolean = () => true): Promise<RepositoryFile[]> {
    const listed: RepositoryFile[] = [];
    for (const [path, content] of this.files) {
      if (!filter(path)) continue;
      const oid = createHash('sha1').update(content).digest('hex');
      this.blobs.set(oid, content);
      listed.push({ path, oid });
    }
    return Promise.resolve(listed);
  }

  // No history is kept to diff: a load lists the files instead.
  listChanges = () => Promise.resolve<TreeChange[] | undefined>(undefined);

  readBlob(oid: string): Promise<string> {
    const content = this.blobs.get(oid);
    return content === undefined ? Promise.reject(new Error(`no blob ${oid}`)) : Promise.resolve(content);
  }

  commit(input: CommitInput): Promise<string> {
    for (const change of input.changes) {
      if (change.content === null) this.files.delete(change.path);
      else this.files.set(change.path, change.content);
    }
    this.head = `memory-${++this.commits}`;
    return Promise.resolve(this.head);
  }
}

/**
 * A target Service: a ClusterIP one with a selector, or an ExternalName one. Most bench targets are
 * ExternalName: the test API server allocates a cluster IP in 10–100 ms, slower the more are taken, and
 * thousands of allocations would measure its allocator (and which side ran first) rather than gitcanary.
 */
export function service(
  name: string,
  namespace: string,
  color: string,
  version: string,
  clusterIP: boolean,
): string {
  const spec = clusterIP
    ? `  selector:\n    app: ${name}-${color}\n`
    : `  type: ExternalName\n  externalName: ${name}.${color}.apps.example.com\n`;
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/version: ${version}
spec:
${spec}  ports:
    - name: http
      port: 9898
      targetPort: http
`;
}

function canary(
  name: string,
  namespace: string,
  provider: string,
  fineSteps: boolean,
  shard: string,
): string {
  const gateway =
    provider === 'gatewayapi'
      ? `    gatewayRefs:\n      - name: public-gateway\n        namespace: ${namespace}\n`
      : '';
  // The step app moves 5 points per interval, so a benchmark has many steps before it promotes.
  // Without a route (kubernetes) a run is blue/green: iterations, no weights.
  const steps =
    provider === 'kubernetes'
      ? 'iterations: 5'
      : fineSteps
        ? 'maxWeight: 100\n    stepWeight: 5'
        : 'maxWeight: 50\n    stepWeight: 10';
  return `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: ${name}
  namespace: ${namespace}
${shard ? `  labels:\n    gitcanary.dev/shard: ${shard}\n` : ''}spec:
  targetRef:
    apiVersion: v1
    kind: Service
    name: ${name}
  provider: ${provider}
  service:
    port: 9898
${gateway}  analysis:
    interval: ${analysisIntervalSeconds}s
    threshold: 5
    ${steps}
`;
}

function deployment(name: string, namespace: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}-blue
  namespace: ${namespace}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}-blue
  template:
    metadata:
      labels:
        app: ${name}-blue
    spec:
      containers:
        - name: app
          image: ghcr.io/stefanprodan/podinfo:6.7.1
          ports:
            - name: http
              containerPort: 9898
`;
}

const workflow = `name: validate
on: [pull_request]
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npx gitcanary validate apps
`;
