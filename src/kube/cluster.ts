// The cluster edge: reads the objects gitcanary generates and writes them by server-side apply with one
// field manager. Counts its requests so a reconcile can report (and tests can assert) how quiet it was.
import { flat } from '../core/flat-string.js';
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { KubeObject } from '../core/model.js';
import { ApplyError, KubeReadError, describeKubeError } from './errors.js';
import type { LiveCache } from './live-cache.js';
import { reuseConnections } from './reuse-connections.js';
import type { ObjectRef } from './object-ref.js';
import type { LiveChanges } from './change-journal.js';

export const fieldManager = 'gitcanary';

interface ClusterStats {
  reads: number;
  writes: number;
}

export const describeRef = (ref: ObjectRef) => flat(ref.kind, '/', ref.namespace, '/', ref.name);

interface ClusterOptions {
  /**
   * Answers reads from memory (a watch) while it is in sync; the others are GET. An object gitcanary does
   * not manage is then read as a stub: its name and labels, no spec.
   */
  live?: LiveCache;
}

export class Cluster {
  /** Requests sent to the API server (reads answered by the live cache are not counted). */
  readonly stats: ClusterStats = { reads: 0, writes: 0 };
  private readonly api: KubernetesObjectApi;
  private readonly live: LiveCache | undefined;

  constructor(kubeConfig: KubeConfig, options: ClusterOptions = {}) {
    this.api = KubernetesObjectApi.makeApiClient(reuseConnections(kubeConfig));
    this.live = options.live;
  }

  /** The live object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const cached = this.live?.lookup(ref);
    if (cached?.known && !cached.versionOnly) return cached.object;
    this.stats.reads += 1;
    try {
      const spec = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      };
      const object = (await this.api.read<KubernetesObject>(spec)) as unknown as KubeObject;
      // Whole again in the cache, for the plans that follow (a Canary in motion is planned every poll).
      if (cached?.known) this.live?.record(object);
      return object;
    } catch (err) {
      const { status, detail } = describeKubeError(err);
      if (status === 404) return undefined;
      throw new KubeReadError(describeRef(ref), status, detail, { cause: err });
    }
  }

  /**
   * What the live cache holds for `ref`, without a request: enough to compare resourceVersions and labels,
   * maybe not the whole object. Undefined when it cannot say (then `get`).
   */
  peek(ref: ObjectRef): { object: KubeObject | undefined } | undefined {
    const cached = this.live?.lookup(ref);
    return cached?.known ? { object: cached.object } : undefined;
  }

  /**
   * A count that moves whenever a `peek` may answer differently; undefined without a live cache, when
   * nothing can tell that the cluster did not change.
   */
  liveChanges(): number | undefined {
    return this.live?.stats.changes;
  }

  /**
   * The objects whose `peek` may answer differently since the last call (by `liveRefKey`), or 'all'
   * (always, without a live cache). For one reader, once a pass: the next call starts from this one.
   */
  takeLiveChanges(): LiveChanges {
    return this.live?.takeChanges() ?? 'all';
  }

  /** The caller needs no more than the version of this object until it changes (`LiveCache.keepVersionOnly`). */
  keepVersionOnly(ref: ObjectRef): void {
    this.live?.keepVersionOnly(ref);
  }

  /** Deletes an object; one already gone is not an error. */
  async delete(ref: ObjectRef): Promise<'deleted' | 'absent'> {
    this.stats.writes += 1;
    try {
      await this.api.delete({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      });
      this.live?.forget(ref);
      return 'deleted';
    } catch (err) {
      const { status, detail } = describeKubeError(err);
      if (status === 404) return 'absent';
      throw new ApplyError(describeRef(ref), status, detail, { cause: err });
    }
  }

  /** Server-side apply as `gitcanary`, taking ownership of the fields it sets. */
  async apply(object: KubeObject): Promise<void> {
    await this.serverSideApply(object, true);
  }

  /**
   * Puts back an object another manager changed since gitcanary applied it: first without force, so the API
   * server names the managers that now own the fields (its conflict causes), then with force. The managers
   * it took the fields back from; empty when nobody had taken them.
   */
  async restore(object: KubeObject): Promise<string[]> {
    try {
      await this.serverSideApply(object, false);
      return [];
    } catch (err) {
      if (!(err instanceof ApplyError) || err.status !== 409) throw err;
      await this.serverSideApply(object, true);
      return conflictManagers(err.cause);
    }
  }

  private async serverSideApply(object: KubeObject, force: boolean): Promise<void> {
    this.stats.writes += 1;
    const ref = refOf(object);
    try {
      const applied = await this.api.patch(
        object,
        undefined,
        undefined,
        fieldManager,
        force,
        PatchStrategy.ServerSideApply,
      );
      this.live?.record(applied);
    } catch (err) {
      const { status, detail } = describeKubeError(err);
      throw new ApplyError(describeRef(ref), status, detail, { cause: err });
    }
  }
}

/**
 * The field managers of an apply conflict, from the Status causes (`conflict with "<manager>" using v1`, or
 * `…with "<manager>": …` for an Update): the API server gives the manager in no field of its own.
 */
export function conflictManagers(err: unknown): string[] {
  const { body } = (err ?? {}) as { body?: unknown };
  const parsed: unknown = typeof body === 'string' ? safeParse(body) : body;
  const causes = (parsed as { details?: { causes?: { message?: unknown }[] } } | undefined)?.details?.causes;
  const managers = new Set<string>();
  for (const cause of causes ?? []) {
    const match = typeof cause.message === 'string' ? /conflict with "([^"]+)"/.exec(cause.message) : null;
    if (match?.[1]) managers.add(match[1]);
  }
  return [...managers].sort();
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name,
  };
}

/** KUBECONFIG or ~/.kube/config, else the in-cluster service account (client-node's default order). */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}
