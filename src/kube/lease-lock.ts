// The coordination.k8s.io/v1 Lease behind leader election: read, create and replace with optimistic
// concurrency. A replace carries the resourceVersion that was read, so of two replicas racing for the same
// Lease the API server lets exactly one win (the other gets 409 Conflict and stays a follower).
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { describeKubeError } from './errors.js';

export class LeaseLock {
  private readonly api: CoordinationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  get description(): string {
    return `Lease/${this.namespace}/${this.name}`;
  }

  /** The Lease, or undefined when it does not exist yet. */
  async get(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (describeKubeError(err).status === 404) return undefined;
      throw err;
    }
  }

  /** Creates the Lease; undefined when another replica created it first. */
  async create(spec: V1Lease['spec']): Promise<V1Lease | undefined> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      ...(spec ? { spec } : {}),
    };
    try {
      return await this.api.createNamespacedLease({ namespace: this.namespace, body });
    } catch (err) {
      if (describeKubeError(err).status === 409) return undefined;
      throw err;
    }
  }

  /** Replaces the Lease as read (its resourceVersion included); undefined when it changed since. */
  async replace(lease: V1Lease): Promise<V1Lease | undefined> {
    try {
      return await this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body: lease,
      });
    } catch (err) {
      if (describeKubeError(err).status === 409) return undefined;
      throw err;
    }
  }
}

/** A Lease time as the API server wants it (RFC 3339 with microseconds). */
export function microTime(date: Date): V1MicroTime {
  return new V1MicroTime(date.getTime());
}
