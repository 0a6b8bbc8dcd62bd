// Flux and Argo CD as they apply an app folder beside gitcanary, against the real test API server: read the
// branch's head (from the git server's own directory, as a fetch would see it), build the folder at a revision (gitops-build.ts: the real kustomize), mark each object
// as the tool does, dry-run it to see what drifted, server-side apply as the tool's field manager with forced
// ownership, and prune what the tool applied before and the build no longer has. A first apply of each object
// is made with force=false, so a conflict the tool would have forced through is counted, not hidden.
//
//   Flux:   labels kustomize.toolkit.fluxcd.io/{name,namespace}; field manager kustomize-controller; applies
//           only the objects whose dry-run differs from the live one; prunes by its inventory (the objects of
//           its last successful apply that still carry its labels).
//   Argo:   tracking annotation argocd.argoproj.io/tracking-id (Argo CD 3's default) or label
//           app.kubernetes.io/instance; field manager argocd-controller (ServerSideApply=true); when anything
//           is out of sync, applies every object of the build; prunes live objects carrying its tracking
//           that the build no longer has.
//
// Both apply in one kind order (namespaces and CRDs first, Services before workloads, other kinds last), and a
// sync whose dry-run fails applies nothing (the Kustomization / Application is then failed as a whole).
// `lag` applies the revision fetched at the previous sync, then fetches: a tool whose self-heal or interval
// fires before its refresh of the source (a stale applier).
import { isDeepStrictEqual } from 'node:util';
import { BuildError, buildFolder, type Tool } from './gitops-build.js';
import { gitCli } from './git-cli.js';
import { prunes, syncOptions, toolObjects } from './gitops-objects.js';
import { describeRef, messageOf, refOf, type KubeRef, type RawKube, type Unstructured } from './raw-kube.js';

export type { Tool } from './gitops-build.js';
export { toolObjects } from './gitops-objects.js';
export type ArgoTracking = 'annotation' | 'label';

export const fieldManagers: Record<Tool, string> = {
  flux: 'kustomize-controller',
  argocd: 'argocd-controller',
};

export interface GitOpsEmulatorOptions {
  tool: Tool;
  /** How Argo CD marks what it applied (annotation, its default, or label). */
  tracking?: ArgoTracking;
  /** The Kustomization / Application (and, for Flux, its GitRepository), created in `namespace`. */
  name: string;
  namespace: string;
  /** The repository: its URL (for the tool's own objects) and the git server's bare directory of it. */
  git: { url: string; dir: string; branch?: string };
  /** The app folder in the repository. */
  path: string;
  /** Overrides the example's prune setting (true). */
  prune?: boolean;
  /** Apply the revision fetched at the previous sync, then fetch (a stale applier). */
  lag?: boolean;
  /** How often the tool syncs on its own (Flux's interval, Argo CD's reconciliation timeout). */
  intervalSeconds: number;
  clock: () => Date;
  kustomize: string;
  kube: RawKube;
}

export interface SyncRecord {
  at: Date;
  revision: string;
  /** Objects whose resourceVersion the sync moved. */
  written: string[];
  /** A first apply with force=false refused: `Kind/ns/name: the API server's message`. */
  conflicts: string[];
  pruned: string[];
}

export class GitOpsEmulator {
  readonly syncs: SyncRecord[] = [];
  /** The objects of the last successful sync, as applied (with the tool's marks). */
  lastBuild: Unstructured[] = [];
  lastRevision: string | undefined;
  /** The head seen at the last sync (newer than `lastRevision` when the tool lags). */
  fetchedRevision: string | undefined;
  private readonly builds = new Map<string, Unstructured[]>();
  private inventory = new Map<string, KubeRef>();
  private readonly seenKinds = new Map<string, { apiVersion: string; kind: string }>();
  private readonly seenNamespaces = new Set<string>();
  private known: string | undefined;
  private handledRequest: string | undefined;
  private lastSyncAt: number | undefined;

  private constructor(
    private readonly options: GitOpsEmulatorOptions,
    /** The object --notify annotates: the GitRepository, or the Application. */
    private readonly notified: KubeRef,
    /** From the tool's own object: Flux's `spec.prune`, Argo CD's `syncPolicy.automated.prune`. */
    private readonly prune: boolean,
  ) {
    this.seenNamespaces.add(options.namespace);
  }

  /** Creates the tool's own objects (from the examples, strictly validated) and the emulator that acts on them. */
  static async start(options: GitOpsEmulatorOptions): Promise<GitOpsEmulator> {
    const objects = toolObjects(options);
    if (options.tool === 'argocd' && !syncOptions(objects).includes('ServerSideApply=true'))
      throw new Error('only Argo CD with ServerSideApply=true is emulated (client-side apply is not)');
    for (const object of objects) {
      const { status, body } = await options.kube.create(object, 'Strict');
      if (status !== 201) throw new Error(`creating ${describeRef(refOf(object))}: ${messageOf(body)}`);
    }
    const [notified] = objects;
    if (!notified) throw new Error(`no object for ${options.tool}`);
    return new GitOpsEmulator(options, refOf(notified), prunes(objects));
  }

  get fieldManager(): string {
    return fieldManagers[this.options.tool];
  }

  /** Syncs when asked to (the --notify annotation) or when its interval is up; the sync, if any. */
  async tick(): Promise<SyncRecord | undefined> {
    const asked = await this.requested();
    const now = this.options.clock().getTime();
    const due = this.lastSyncAt === undefined || now >= this.lastSyncAt + this.options.intervalSeconds * 1000;
    return asked || due ? this.sync() : undefined;
  }

  /**
   * True once per new request: a new `reconcile.fluxcd.io/requestedAt` on the GitRepository (Flux keeps the
   * last one handled in its status), or `argocd.argoproj.io/refresh` on the Application, which Argo CD
   * removes once it has refreshed.
   */
  async requested(): Promise<boolean> {
    const { kube, tool } = this.options;
    const live = await kube.get(this.notified);
    if (tool === 'flux') {
      const value = live?.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
      if (value === undefined || value === this.handledRequest) return false;
      this.handledRequest = value;
      return true;
    }
    if (live?.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined) return false;
    const patch = { metadata: { annotations: { 'argocd.argoproj.io/refresh': null } } };
    await kube.mergePatch(this.notified, patch, 'argocd-application-controller');
    return true;
  }

  /** One sync: the revision to apply (with `lag`, the one fetched last time), built, applied, pruned. */
  async sync(): Promise<SyncRecord> {
    const fetched = await this.fetch();
    const revision = this.options.lag ? (this.known ?? fetched) : fetched;
    this.known = fetched;
    this.fetchedRevision = fetched;
    this.lastSyncAt = this.options.clock().getTime();
    const objects = (await this.build(revision)).map((o) => this.mark(o));
    await this.remember(objects);
    const record: SyncRecord = {
      at: this.options.clock(),
      revision,
      written: [],
      conflicts: [],
      pruned: [],
    };
    const { drifted, versions } = await this.dryRun(objects);
    const extraneous = this.prune ? await this.extraneous(objects) : [];
    const toApply =
      this.options.tool === 'flux'
        ? objects.filter((_, i) => drifted[i])
        : drifted.some(Boolean) || extraneous.length > 0
          ? objects
          : [];
    for (const object of toApply) await this.apply(object, versions.get(object), record);
    for (const ref of extraneous.reverse()) {
      const status = await this.options.kube.delete(ref);
      if (status === 200 || status === 202) record.pruned.push(describeRef(ref));
    }
    this.inventory = new Map(objects.map((o) => [idOf(refOf(o)), refOf(o)]));
    this.lastBuild = objects;
    this.lastRevision = revision;
    this.syncs.push(record);
    return record;
  }

  /** The last build applied again as the tool with force=false (a dry run): the conflicts it meets. */
  async reapplyConflicts(): Promise<string[]> {
    return applyConflicts(this.options.kube, this.lastBuild, this.fieldManager);
  }

  /** The head of the branch now, as the tool's fetch would find it. */
  async fetch(): Promise<string> {
    const { dir, branch = 'main' } = this.options.git;
    return (await gitCli(['--git-dir', dir, 'rev-parse', branch])).trim();
  }

  private async build(revision: string): Promise<Unstructured[]> {
    const cached = this.builds.get(revision);
    if (cached) return structuredClone(cached);
    const { tool, kustomize, path } = this.options;
    const objects = await buildFolder({ tool, kustomize, gitDir: this.options.git.dir, revision, path });
    this.builds.set(revision, objects);
    return structuredClone(objects);
  }

  /** The tool's marks, and the destination namespace for a namespaced object that names none. */
  private mark(source: Unstructured): Unstructured {
    const object = structuredClone(source);
    const { tool, name, namespace, tracking = 'annotation' } = this.options;
    const metadata = object.metadata;
    metadata.namespace ??= namespace;
    if (tool === 'flux') {
      metadata.labels = {
        ...metadata.labels,
        'kustomize.toolkit.fluxcd.io/name': name,
        'kustomize.toolkit.fluxcd.io/namespace': namespace,
      };
    } else if (tracking === 'label') {
      metadata.labels = { ...metadata.labels, 'app.kubernetes.io/instance': name };
    } else {
      metadata.annotations = {
        ...metadata.annotations,
        'argocd.argoproj.io/tracking-id': trackingId(name, object),
      };
    }
    return object;
  }

  /** Kinds and namespaces the tool now watches; a kind the API server does not serve fails the sync. */
  private async remember(objects: Unstructured[]): Promise<void> {
    const unknown = new Set<string>();
    for (const object of objects) {
      const namespaced = await this.options.kube
        .namespaced(object.apiVersion, object.kind)
        .catch(() => unknown.add(`no matches for kind "${object.kind}" in version "${object.apiVersion}"`));
      if (namespaced === false) delete object.metadata.namespace;
      this.seenKinds.set(`${object.apiVersion}|${object.kind}`, object);
      if (object.metadata.namespace) this.seenNamespaces.add(object.metadata.namespace);
    }
    if (unknown.size > 0) throw new BuildError(`nothing applied: ${[...unknown].join('; ')}`);
    objects.sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
  }

  /**
   * Which objects differ from their live version once applied, and the live versions; a refused dry-run
   * fails the whole sync.
   */
  private async dryRun(
    objects: Unstructured[],
  ): Promise<{ drifted: boolean[]; versions: Map<Unstructured, string | undefined> }> {
    const { kube } = this.options;
    const failures: string[] = [];
    const versions = new Map<Unstructured, string | undefined>();
    const drifted = await Promise.all(
      objects.map(async (object) => {
        const live = await kube.get(refOf(object));
        versions.set(object, live?.metadata.resourceVersion);
        const dry = await kube.apply(object, { fieldManager: this.fieldManager, force: true, dryRun: true });
        if (dry.status !== 200 && dry.status !== 201) {
          failures.push(`${describeRef(refOf(object))}: ${messageOf(dry.body)}`);
          return false;
        }
        return !live || !isDeepStrictEqual(comparable(live), comparable(dry.body as Unstructured));
      }),
    );
    if (failures.length > 0) throw new BuildError(`dry-run failed, nothing applied:\n${failures.join('\n')}`);
    return { drifted, versions };
  }

  private async apply(object: Unstructured, before: string | undefined, record: SyncRecord): Promise<void> {
    const { kube } = this.options;
    const name = describeRef(refOf(object));
    let result = await kube.apply(object, { fieldManager: this.fieldManager, force: false });
    if (result.status === 409) {
      record.conflicts.push(`${name}: ${messageOf(result.body)}`);
      result = await kube.apply(object, { fieldManager: this.fieldManager, force: true });
    }
    if (result.status !== 200 && result.status !== 201)
      throw new Error(`${name}: apply failed: HTTP ${result.status}: ${messageOf(result.body)}`);
    if ((result.body as Unstructured).metadata.resourceVersion !== before) record.written.push(name);
  }

  /** What the tool would prune: its objects that the build no longer has. */
  private async extraneous(objects: Unstructured[]): Promise<KubeRef[]> {
    const wanted = new Set(objects.map((o) => idOf(refOf(o))));
    const { kube, tool, name, namespace, tracking = 'annotation' } = this.options;
    if (tool === 'flux') {
      const gone: KubeRef[] = [];
      for (const [id, ref] of this.inventory) {
        if (wanted.has(id)) continue;
        const live = await kube.get(ref);
        const labels = live?.metadata.labels ?? {};
        const annotations = live?.metadata.annotations ?? {};
        if (
          live &&
          labels['kustomize.toolkit.fluxcd.io/name'] === name &&
          labels['kustomize.toolkit.fluxcd.io/namespace'] === namespace &&
          annotations['kustomize.toolkit.fluxcd.io/prune'] !== 'disabled'
        )
          gone.push(ref);
      }
      return gone;
    }
    // Argo CD finds its objects in the cluster by their tracking, in every kind and namespace it watches.
    const gone: KubeRef[] = [];
    for (const { apiVersion, kind } of this.seenKinds.values()) {
      const namespaced = await kube.namespaced(apiVersion, kind);
      for (const ns of namespaced ? [...this.seenNamespaces] : [undefined]) {
        for (const live of await kube.list(apiVersion, kind, ns)) {
          const ref = refOf(live);
          if (wanted.has(idOf(ref))) continue;
          const tracked =
            tracking === 'label'
              ? live.metadata.labels?.['app.kubernetes.io/instance'] === name
              : live.metadata.annotations?.['argocd.argoproj.io/tracking-id'] === trackingId(name, live);
          const keep =
            live.metadata.annotations?.['argocd.argoproj.io/sync-options']?.includes('Prune=false');
          if (tracked && !keep) gone.push(ref);
        }
      }
    }
    return gone;
  }
}

/** Each object applied with force=false as `fieldManager`, as a dry run: the conflicts the API server reports. */
export async function applyConflicts(
  kube: RawKube,
  objects: readonly Unstructured[],
  fieldManager: string,
): Promise<string[]> {
  const conflicts: string[] = [];
  for (const object of objects) {
    const result = await kube.apply(object, { fieldManager, force: false, dryRun: true });
    if (result.status === 409) conflicts.push(`${describeRef(refOf(object))}: ${messageOf(result.body)}`);
    else if (result.status !== 200 && result.status !== 201)
      throw new Error(`${describeRef(refOf(object))}: HTTP ${result.status}: ${messageOf(result.body)}`);
  }
  return conflicts;
}

/** Argo CD's annotation tracking: `<app>:<group>/<Kind>:<namespace>/<name>`. */
export function trackingId(app: string, object: Unstructured): string {
  const group = object.apiVersion.includes('/') ? (object.apiVersion.split('/')[0] ?? '') : '';
  return `${app}:${group}/${object.kind}:${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function idOf(ref: KubeRef): string {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${group}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

/** A live object without what the server changes on every write (versions, ownership times). */
function comparable(object: Unstructured): unknown {
  const copy = structuredClone(object);
  delete copy.metadata.managedFields;
  delete copy.metadata.resourceVersion;
  delete copy.metadata.generation;
  return copy;
}

// Namespaces and CRDs first, then what workloads need, Services before workloads, every other kind after.
const kindOrder = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Ingress',
];

function kindRank(kind: string): number {
  const rank = kindOrder.indexOf(kind);
  return rank === -1 ? kindOrder.length : rank;
}
