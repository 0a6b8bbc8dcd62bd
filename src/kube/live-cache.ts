// A watch-backed copy of the kinds gitcanary generates, so that a reconcile reads the live state from memory
// instead of GETting each object of each Canary at every poll. Services and HTTPRoutes are watched from the
// start; the other routers' kinds from the first lookup that asks for one, once discovery says the API server
// serves it (watched-kinds.ts): a kind not installed is asked about again at most once a minute, so a CRD
// installed later is picked up. One paged LIST and one WATCH per kind (and namespace, when restricted); after
// that the API server pushes every change, so drift (a deleted or edited object) is seen without polling,
// and an idle poll makes no request at all.
//
// Objects labelled app.kubernetes.io/managed-by=gitcanary are held as a diff reads them (no managedFields,
// no status but what the router's readiness reads, which holds a step). Every other object of these kinds is
// held as a stub, its name and labels only: enough to know that a name is taken by an object gitcanary must
// not take over, at a fraction of the memory. So the cache knows what is absent too, and a cold start against
// an empty cluster needs no GET either.
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  Watch,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from '../core/model.js';
import { isManagedByUs } from '../core/generated-objects.js';
import { normalizedServiceSpec } from '../core/service-spec.js';
import type { ObjectRef } from './object-ref.js';
import { ChangeJournal, type LiveChanges } from './change-journal.js';
import { describeKubeError } from './errors.js';
import { reuseConnections } from './reuse-connections.js';
import {
  onDemandKinds,
  startupKinds,
  watchedKindOf,
  type OnDemandKind,
  type WatchedKind,
} from './watched-kinds.js';

interface LiveCacheOptions {
  kubeConfig: KubeConfig;
  /** Watch only these namespaces (one LIST+WATCH each); all namespaces when absent. */
  namespaces?: readonly string[];
  logger?: Logger;
  /** Objects per LIST page. */
  pageSize?: number;
  /** The kinds watched from the first lookup of one; the routers' kinds when absent (tests name their own). */
  onDemand?: readonly OnDemandKind[];
  /** How long a kind the API server did not serve is taken as absent before discovery is asked again. */
  rediscoverAfterMs?: number;
}

/**
 * What the cache knows of one name: the object (or its stub), its absence, or nothing (ask the server).
 * `versionOnly`: only its name, labels and resourceVersion are held (see `keepVersionOnly`).
 */
type LiveLookup = { known: true; object: KubeObject | undefined; versionOnly?: true } | { known: false };

interface LiveCacheStats {
  lists: number;
  watches: number;
  events: number;
  /** Discovery requests: whether an on-demand kind is served. */
  discoveries: number;
  /**
   * Changes to what lookups answer: an object put or removed, a kind listed, a watch falling out of sync.
   * Equal counts mean every lookup answers as it did.
   */
  changes: number;
}

const maxBackoffMs = 30_000;
const defaultRediscoverAfterMs = 60_000;
const unknown: LiveLookup = { known: false };

export class LiveCache {
  readonly stats: LiveCacheStats = { lists: 0, watches: 0, events: 0, discoveries: 0, changes: 0 };
  private readonly journal = new ChangeJournal();
  private readonly reflectors: Reflector[] = [];
  /** By `apiVersion/kind`, then namespace ('' for all namespaces). */
  private readonly byScope = new Map<string, Map<string, Reflector>>();
  /** On-demand kinds by `apiVersion/kind`: being discovered, or not served (ask again after the time). */
  private readonly discovery = new Map<string, 'asking' | number>();
  private readonly context: ReflectorContext;
  private stopped = false;

  private constructor(private readonly options: LiveCacheOptions) {
    const kubeConfig = reuseConnections(options.kubeConfig);
    this.context = {
      api: KubernetesObjectApi.makeApiClient(kubeConfig),
      discovery: kubeConfig.makeApiClient(CustomObjectsApi),
      watch: new Watch(options.kubeConfig),
      options,
      stats: this.stats,
      journal: this.journal,
    };
    for (const kind of startupKinds) this.addReflectors(kind);
  }

  /** Lists every watched kind, starts the watches, and resolves once the first listing is held. */
  static async start(options: LiveCacheOptions): Promise<LiveCache> {
    const cache = new LiveCache(options);
    await Promise.all(cache.reflectors.map((r) => r.start()));
    return cache;
  }

  /**
   * The live object (a stub when gitcanary does not manage it), or that there is none; `known: false`
   * while the kind is not watched or its watch is re-listing, and then the caller asks the API server.
   */
  lookup(ref: ObjectRef): LiveLookup {
    const reflector = this.reflectorFor(ref);
    if (reflector) return reflector.lookup(ref.name, ref.namespace);
    this.watchOnDemand(ref.apiVersion, ref.kind);
    return unknown;
  }

  /**
   * Holds only the version (and name and labels) of an object whose whole is no longer needed: that of a
   * Canary at rest, whose plan is reused while the versions hold. The next change the watch brings is held
   * whole again; a `get` meanwhile goes to the API server. At 5,000 Canaries this is most of the cache.
   */
  keepVersionOnly(ref: ObjectRef): void {
    this.reflectorFor(ref)?.keepVersionOnly(ref.name, ref.namespace);
  }

  /**
   * The objects whose lookups may answer differently since the last call (`liveRefKey` of their refs), or
   * 'all'. For one reader: the reconciler, once a pass.
   */
  takeChanges(): LiveChanges {
    return this.journal.take();
  }

  /** Forgets an object gitcanary deleted, so the next reconcile need not wait for its watch event. */
  forget(ref: ObjectRef): void {
    this.reflectorFor(ref)?.forget(ref.name, ref.namespace);
  }

  /** Takes the object an apply or a GET returned, so the next reconcile need not wait for its watch event. */
  record(object: KubeObject): void {
    this.reflectorFor({
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
    })?.record(object);
  }

  /** Objects held, for logs and the benchmark. */
  get size(): number {
    return this.reflectors.reduce((sum, r) => sum + r.size, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const r of this.reflectors) r.stop();
  }

  private reflectorFor(ref: ObjectRef): Reflector | undefined {
    const byNamespace = this.byScope.get(`${ref.apiVersion}/${ref.kind}`);
    return byNamespace?.get(ref.namespace) ?? byNamespace?.get('');
  }

  /** One reflector per scope (each watched namespace, or all); returned to be started. */
  private addReflectors(kind: WatchedKind): Reflector[] {
    const scopes = this.options.namespaces?.length ? this.options.namespaces : [undefined];
    const byNamespace = new Map<string, Reflector>();
    const added = scopes.map((namespace) => {
      const reflector = new Reflector(kind, namespace, this.context);
      byNamespace.set(namespace ?? '', reflector);
      return reflector;
    });
    this.byScope.set(`${kind.apiVersion}/${kind.kind}`, byNamespace);
    this.reflectors.push(...added);
    return added;
  }

  /**
   * Starts watching a router's kind that a lookup asked for, if the API server serves it: in the background,
   * the lookup itself is answered by GET. A kind not served is asked about again only after a while.
   */
  private watchOnDemand(apiVersion: string, kind: string): void {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const onDemand = (this.options.onDemand ?? onDemandKinds).find(
      (k) => k.group === group && k.kind === kind,
    );
    const key = `${apiVersion}/${kind}`;
    const state = this.discovery.get(key);
    if (!onDemand || this.stopped || state === 'asking' || (state !== undefined && Date.now() < state))
      return;
    this.discovery.set(key, 'asking');
    void this.discover(apiVersion, onDemand, key);
  }

  private async discover(apiVersion: string, onDemand: OnDemandKind, key: string): Promise<void> {
    const { logger } = this.options;
    let plural: string | undefined;
    this.stats.discoveries += 1;
    try {
      const [group = '', version = ''] = apiVersion.split('/');
      const list = await this.context.discovery.getAPIResources({ group, version });
      const resource = list.resources.find((r) => r.kind === onDemand.kind && !r.name.includes('/'));
      const verbs = resource?.verbs ?? [];
      if (resource && verbs.includes('list') && verbs.includes('watch')) plural = resource.name;
    } catch (err) {
      // 404: the group/version is not served (no CRD); anything else is retried as late, and said.
      if (describeKubeError(err).status !== 404)
        logger?.warn({ apiVersion, kind: onDemand.kind, err }, 'live cache discovery failed; reading by GET');
    }
    if (this.stopped) return;
    if (!plural) {
      this.discovery.set(key, Date.now() + (this.options.rediscoverAfterMs ?? defaultRediscoverAfterMs));
      logger?.debug({ apiVersion, kind: onDemand.kind }, 'live cache: kind not served; reading by GET');
      return;
    }
    this.discovery.delete(key);
    const added = this.addReflectors(watchedKindOf(apiVersion, onDemand, plural));
    logger?.info({ apiVersion, kind: onDemand.kind }, 'live cache watches a router kind');
    await Promise.all(added.map((r) => r.start()));
  }
}

interface ReflectorContext {
  api: KubernetesObjectApi;
  /** For discovery (`/apis/<group>/<version>`), which any authenticated client may read. */
  discovery: CustomObjectsApi;
  watch: Watch;
  options: LiveCacheOptions;
  stats: LiveCacheStats;
  journal: ChangeJournal;
}

/** One LIST+WATCH loop (client-go's Reflector): a collection's objects by namespace/name. */
class Reflector {
  private readonly objects = new Map<string, KubeObject>();
  /** Keys of the objects held as a version only. */
  private readonly versionOnly = new Set<string>();
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private request: AbortController | undefined;
  private backoffMs = 0;
  private retry: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly kind: WatchedKind,
    private readonly namespace: string | undefined,
    private readonly ctx: ReflectorContext,
  ) {}

  get size(): number {
    return this.objects.size;
  }

  lookup(name: string, namespace?: string): LiveLookup {
    if (!this.synced) return unknown;
    const key = keyFor(name, namespace);
    const object = this.objects.get(key);
    return this.versionOnly.has(key) ? { known: true, object, versionOnly: true } : { known: true, object };
  }

  keepVersionOnly(name: string, namespace?: string): void {
    const key = keyFor(name, namespace);
    const held = this.objects.get(key);
    if (!held) return;
    this.objects.set(key, stubOf(held, this.kind));
    this.versionOnly.add(key);
  }

  record(object: KubeObject): void {
    this.put(trim(object, this.kind));
  }

  forget(name: string, namespace?: string): void {
    const key = keyFor(name, namespace);
    this.objects.delete(key);
    this.versionOnly.delete(key);
    this.changed(key);
  }

  /** Never rejects: a kind that cannot be listed yet (no CRD, no RBAC) is retried, and read by GET meanwhile. */
  async start(): Promise<void> {
    try {
      await this.list();
      this.watch();
    } catch (err) {
      this.onDone(err);
    }
  }

  stop(): void {
    this.stopped = true;
    this.synced = false;
    clearTimeout(this.retry);
    clearTimeout(this.watchdog);
    this.request?.abort();
  }

  private async list(): Promise<void> {
    const { api, options, stats } = this.ctx;
    const listed = new Map<string, KubeObject>();
    let token: string | undefined;
    let resourceVersion: string;
    do {
      stats.lists += 1;
      const page = await api.list<KubernetesObject>(
        this.kind.apiVersion,
        this.kind.kind,
        this.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        options.pageSize ?? 500,
        token,
      );
      for (const item of page.items) {
        const object = trim(item, this.kind);
        listed.set(keyOf(object), object);
      }
      token = page.metadata?._continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? '';
    } while (token);
    this.objects.clear();
    this.versionOnly.clear();
    for (const [key, object] of listed) this.objects.set(key, object);
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.changedAll();
  }

  private watch(): void {
    if (this.stopped) return;
    this.ctx.stats.watches += 1;
    // As client-go: the server ends each watch after 5 to 10 minutes and we resume from the last version,
    // and a watch that has gone silent for longer (a dead connection) is abandoned by the watchdog.
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const query = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    let done = false;
    const finish = (err: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(this.watchdog);
      this.onDone(err);
    };
    const armWatchdog = () => {
      clearTimeout(this.watchdog);
      this.watchdog = setTimeout(
        () => {
          this.request?.abort();
          finish(new Error('watch silent past its timeout'));
        },
        (timeoutSeconds + 60) * 1000,
      );
      this.watchdog.unref();
    };
    armWatchdog();
    this.ctx.watch
      .watch(
        this.kind.path(this.namespace),
        query,
        (phase, object) => {
          armWatchdog();
          this.onEvent(phase, object);
        },
        finish,
      )
      .then((request) => {
        this.request = request;
        if (this.stopped) request.abort();
      })
      .catch(finish);
  }

  private onEvent(phase: string, raw: unknown): void {
    if (this.stopped) return;
    this.ctx.stats.events += 1;
    const object = raw as KubernetesObject & { code?: number };
    if (phase === 'ERROR') {
      // 410 Gone: our resourceVersion was compacted away; start again from a fresh listing.
      if (object.code === 410) this.resourceVersion = '';
      return;
    }
    const version = object.metadata?.resourceVersion;
    if (phase === 'ADDED' || phase === 'MODIFIED') this.put(trim(object, this.kind, true));
    else if (phase === 'DELETED') this.remove(trim(object, this.kind, true));
    if (version) this.resourceVersion = version;
    this.backoffMs = 0;
  }

  private onDone(err: unknown): void {
    this.request = undefined;
    if (this.stopped) return;
    const { status } = err ? describeKubeError(err) : { status: undefined };
    const gone = status === 410 || (err as { statusCode?: number } | null)?.statusCode === 410;
    if (gone) this.resourceVersion = '';
    // A watch the server closed after its timeout resumes at once; a failure backs off.
    this.backoffMs = err ? Math.min(maxBackoffMs, Math.max(250, this.backoffMs * 2)) : 0;
    if (err)
      this.ctx.options.logger?.warn({ kind: this.kind.kind, err }, 'live cache watch failed; retrying');
    this.retry = setTimeout(() => void this.resume(), this.backoffMs);
    this.retry.unref();
  }

  private async resume(): Promise<void> {
    if (this.stopped) return;
    if (!this.resourceVersion) {
      // Until the new listing is held, lookups fall through to the API server.
      this.synced = false;
      this.changedAll();
      try {
        await this.list();
      } catch (err) {
        this.onDone(err);
        return;
      }
    }
    this.watch();
  }

  private put(object: KubeObject): void {
    const key = keyOf(object);
    const held = this.objects.get(key);
    if (held && isOlder(object, held)) return;
    this.objects.set(key, object);
    this.versionOnly.delete(key);
    // The watch bringing an object an apply already recorded changes no answer.
    if (held?.metadata.resourceVersion !== object.metadata.resourceVersion) this.changed(key);
  }

  private remove(object: KubeObject): void {
    const key = keyOf(object);
    const held = this.objects.get(key);
    // An apply we recorded after this deletion recreated the object.
    if (held && isOlder(object, held)) return;
    this.objects.delete(key);
    this.versionOnly.delete(key);
    this.changed(key);
  }

  /** A lookup of `key` (namespace/name) may answer differently now. */
  private changed(key: string): void {
    this.ctx.stats.changes += 1;
    this.ctx.journal.note(`${this.kind.apiVersion}/${this.kind.kind}/${key}`);
  }

  /** Any lookup of this kind may answer differently now. */
  private changedAll(): void {
    this.ctx.stats.changes += 1;
    this.ctx.journal.noteAll();
  }
}

const keyFor = (name: string, namespace?: string) => `${namespace ?? ''}/${name}`;

function keyOf(object: KubeObject): string {
  return keyFor(object.metadata.name, object.metadata.namespace);
}

/** Etcd-backed API servers give increasing integer versions; anything else is taken as newer. */
function isOlder(candidate: KubeObject, held: KubeObject): boolean {
  const a = candidate.metadata.resourceVersion;
  const b = held.metadata.resourceVersion;
  if (typeof a !== 'string' || typeof b !== 'string' || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

const heldSpec = (kind: WatchedKind, spec: unknown) =>
  kind.kind === 'Service' && spec !== undefined ? normalizedServiceSpec(spec) : spec;

/** Name, labels and resourceVersion: what the ownership check and a reused plan read, and no more. */
function stubOf(object: KubernetesObject | KubeObject, kind: WatchedKind): KubeObject {
  const { metadata = {} } = object;
  return {
    apiVersion: object.apiVersion ?? kind.apiVersion,
    kind: object.kind ?? kind.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      resourceVersion: metadata.resourceVersion,
      ...(metadata.labels ? { labels: metadata.labels } : {}),
    },
  } as KubeObject;
}

/**
 * What a diff reads: no managedFields (often the larger half of an object), no status, and a Service's spec
 * as the diff normalizes it (no assigned cluster IPs or IP families, no field that holds its default): the
 * diff normalizes again and gets the same, at a third of the memory. An object gitcanary does not manage
 * keeps only its stub, which is what the ownership check reads. A watch event is plain JSON already and is
 * picked from as it is; client-node's typed models (a LIST, an apply's answer) are turned into the same
 * plain shape by a JSON round trip (`plain`).
 */
function trim(object: KubernetesObject | KubeObject, kind: WatchedKind, plain = false): KubeObject {
  const stub = stubOf(object, kind);
  const { annotations, generation } = object.metadata ?? {};
  const status = kind.status?.(object);
  const trimmed = isManagedByUs(stub)
    ? {
        ...stub,
        metadata: {
          ...stub.metadata,
          ...(annotations ? { annotations } : {}),
          ...(status && generation !== undefined ? { generation } : {}),
        },
        spec: heldSpec(kind, (object as { spec?: unknown }).spec),
        ...(status ? { status } : {}),
      }
    : stub;
  return plain ? trimmed : (JSON.parse(JSON.stringify(trimmed)) as KubeObject);
}
