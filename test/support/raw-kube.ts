// A small Kubernetes client that sends objects exactly as written (JSON, no typed serializer in between) and
// returns the API server's answer as it is, status included: what the GitOps emulator and the strict
// validation of the examples need. client-node's typed serializers drop fields they do not know, which
// would hide precisely the unknown fields that strict validation is there to catch.
import { Agent, request } from 'node:https';
import type { ControlPlaneAccess } from '../../harness/control-plane.js';

export interface KubeRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface Unstructured {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    managedFields?: { manager?: string; operation?: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface RawResponse {
  status: number;
  body: unknown;
}

export interface ApplyOptions {
  fieldManager: string;
  force: boolean;
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

interface ApiResource {
  plural: string;
  namespaced: boolean;
}

export class RawKube {
  private readonly agent: Agent;
  private readonly resources = new Map<string, ApiResource>();

  constructor(private readonly access: ControlPlaneAccess) {
    this.agent = new Agent({ keepAlive: true, ca: access.caCert });
  }

  async request(method: string, path: string, body?: unknown, contentType?: string): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.access.server}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.access.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType ?? 'application/json' } : {}),
          },
          timeout: 15_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The plural and scope of a kind, from discovery (cached). */
  async resource(apiVersion: string, kind: string): Promise<ApiResource> {
    const key = `${apiVersion}/${kind}`;
    const cached = this.resources.get(key);
    if (cached) return cached;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const { status, body } = await this.request('GET', base);
    if (status !== 200) throw new Error(`discovery of ${apiVersion}: HTTP ${status}`);
    const list = (body as { resources?: { name: string; kind: string; namespaced: boolean }[] }).resources;
    const found = list?.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) throw new Error(`${apiVersion} serves no kind ${kind}`);
    const resource = { plural: found.name, namespaced: found.namespaced };
    this.resources.set(key, resource);
    return resource;
  }

  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const { plural, namespaced } = await this.resource(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespaced && namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
  }

  async objectPath(ref: KubeRef): Promise<string> {
    return `${await this.collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${ref.name}`;
  }

  async namespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)).namespaced;
  }

  /** Server-side apply of `object` as written. */
  async apply(object: Unstructured, options: ApplyOptions): Promise<RawResponse> {
    const params = new URLSearchParams({ fieldManager: options.fieldManager, force: String(options.force) });
    if (options.dryRun) params.set('dryRun', 'All');
    if (options.fieldValidation) params.set('fieldValidation', options.fieldValidation);
    const path = await this.objectPath(refOf(object));
    return this.request('PATCH', `${path}?${params.toString()}`, object, 'application/apply-patch+yaml');
  }

  /** A create with the given field validation, the object sent exactly as written. */
  async create(object: Unstructured, fieldValidation: 'Strict' | 'Warn' = 'Strict'): Promise<RawResponse> {
    const { namespace } = object.metadata;
    const path = await this.collectionPath(object.apiVersion, object.kind, namespace);
    return this.request('POST', `${path}?fieldValidation=${fieldValidation}`, object);
  }

  async get(ref: KubeRef): Promise<Unstructured | undefined> {
    const { status, body } = await this.request('GET', await this.objectPath(ref));
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`GET ${describeRef(ref)}: HTTP ${status}: ${messageOf(body)}`);
    return body as Unstructured;
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<Unstructured[]> {
    const { status, body } = await this.request(
      'GET',
      await this.collectionPath(apiVersion, kind, namespace),
    );
    if (status !== 200) throw new Error(`LIST ${apiVersion} ${kind}: HTTP ${status}: ${messageOf(body)}`);
    const items = (body as { items?: Unstructured[] }).items ?? [];
    // A list's items carry no apiVersion and kind of their own.
    return items.map((item) => ({ ...item, apiVersion, kind }));
  }

  /** The resourceVersion of a collection now: where a later `deletedSince` starts. */
  async collectionVersion(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const path = `${await this.collectionPath(apiVersion, kind, namespace)}?limit=1`;
    const { status, body } = await this.request('GET', path);
    if (status !== 200) throw new Error(`LIST ${apiVersion} ${kind}: HTTP ${status}: ${messageOf(body)}`);
    return String((body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion);
  }

  /**
   * The objects of a kind deleted since `resourceVersion` (from the API server's watch cache, so only for a
   * recent version), in order, each with the resourceVersion of its deletion.
   */
  async deletedSince(
    apiVersion: string,
    kind: string,
    namespace: string,
    resourceVersion: string,
  ): Promise<{ ref: string; resourceVersion: number }[]> {
    const params = new URLSearchParams({ watch: '1', resourceVersion, timeoutSeconds: '1' });
    const path = `${await this.collectionPath(apiVersion, kind, namespace)}?${params.toString()}`;
    const { status, body } = await this.request('GET', path);
    if (status !== 200) throw new Error(`WATCH ${apiVersion} ${kind}: HTTP ${status}: ${messageOf(body)}`);
    // One event per line; a single event arrives already parsed.
    const lines =
      typeof body === 'string'
        ? body
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as unknown)
        : [body];
    const deleted: { ref: string; resourceVersion: number }[] = [];
    for (const line of lines) {
      const event = line as { type?: string; object?: Unstructured };
      if (event.type === 'ERROR') throw new Error(`WATCH ${apiVersion} ${kind}: ${messageOf(event.object)}`);
      if (event.type !== 'DELETED' || !event.object) continue;
      deleted.push({
        ref: describeRef({ ...refOf(event.object), apiVersion, kind }),
        resourceVersion: Number(event.object.metadata.resourceVersion),
      });
    }
    return deleted;
  }

  async delete(ref: KubeRef): Promise<number> {
    return (await this.request('DELETE', await this.objectPath(ref))).status;
  }

  async mergePatch(ref: KubeRef, patch: unknown, fieldManager: string): Promise<RawResponse> {
    const path = `${await this.objectPath(ref)}?fieldManager=${fieldManager}`;
    return this.request('PATCH', path, patch, 'application/merge-patch+json');
  }

  close(): void {
    this.agent.destroy();
  }
}

export function refOf(object: Unstructured): KubeRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

export function describeRef(ref: KubeRef): string {
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}
