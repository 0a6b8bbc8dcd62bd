// Leader election on a Lease, as client-go's leaderelection does it (client-node 1.4 ships no helper):
// every retry period a follower reads the Lease and takes it once it has seen no renewal for the Lease's
// duration; the leader renews every retry period and steps down when it has not renewed within the renew
// deadline. Expiry is measured on this process's monotonic clock from when a change was *observed*, never
// from the renewTime written by another machine, so clock skew between nodes cannot make two leaders.
// Followers pass webhook nudges to the leader through an annotation on the same Lease.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { microTime, type LeaseLock } from '../kube/lease-lock.js';

const nudgeAnnotation = 'gitcanary.dev/nudge';

export interface LeaderElectorOptions {
  lock: Pick<LeaseLock, 'get' | 'create' | 'replace' | 'description'>;
  identity: string;
  logger: Logger;
  /** client-go's defaults: 15 s, 10 s, 2 s. renewDeadline must be shorter than leaseDuration. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Clear the holder on shutdown so that the next replica takes over at once (client-go's ReleaseOnCancel). */
  releaseOnCancel?: boolean;
}

interface LeadershipCallbacks {
  onStartedLeading(): void;
  /** Awaited before the Lease is let go; the Lease is still renewed meanwhile when shutting down. */
  onStoppedLeading(): Promise<void> | void;
  /** Each attempt to read the Lease, for readiness. */
  onLeaseObserved?(reachable: boolean): void;
  /** A follower asked for a reconcile (requestNudge) while this replica leads. */
  onNudge?(): void;
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export class LeaderElector {
  private leading = false;
  private observed: { version: string | undefined; at: number; holder: string; durationMs: number } = {
    version: undefined,
    at: 0,
    holder: '',
    durationMs: 0,
  };
  private lastNudge: { value: string | undefined } | undefined;
  private callbacks: LeadershipCallbacks | undefined;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(private readonly options: LeaderElectorOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs)
      throw new RangeError('the renew deadline must be shorter than the lease duration');
    if (this.retryPeriodMs >= this.renewDeadlineMs)
      throw new RangeError('the retry period must be shorter than the renew deadline');
  }

  get identity(): string {
    return this.options.identity;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads and campaigns again after losing the Lease, until `signal` aborts. */
  async run(signal: AbortSignal, callbacks: LeadershipCallbacks): Promise<void> {
    this.callbacks = callbacks;
    const { logger, lock } = this.options;
    while (!signal.aborted) {
      logger.info({ lease: lock.description, identity: this.identity }, 'waiting to lead');
      const acquiredAt = await this.acquire(signal);
      if (acquiredAt === undefined) break;
      this.leading = true;
      logger.info({ lease: lock.description, identity: this.identity }, 'leading');
      callbacks.onStartedLeading();
      await this.lead(acquiredAt, signal, callbacks);
    }
  }

  /** Asks the leader, through the Lease, to reconcile now. False when the Lease could not be written. */
  async requestNudge(): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const lease = await this.options.lock.get();
      if (!lease?.metadata) return false;
      const value = `${new Date().toISOString()} ${this.identity}`;
      const annotations = { ...lease.metadata.annotations, [nudgeAnnotation]: value };
      if (await this.options.lock.replace({ ...lease, metadata: { ...lease.metadata, annotations } }))
        return true;
    }
    return false;
  }

  private async acquire(signal: AbortSignal): Promise<number | undefined> {
    for (;;) {
      const started = performance.now();
      if (await this.attempt()) return started;
      // Jitter (client-go's factor 1.2) keeps followers from knocking in lockstep.
      const jittered = this.retryPeriodMs * (1 + Math.random() * 0.2);
      if (!(await pause(jittered, signal))) return undefined;
    }
  }

  private async lead(acquiredAt: number, signal: AbortSignal, callbacks: LeadershipCallbacks) {
    const renewing = new AbortController();
    const renewals = this.renew(acquiredAt, renewing.signal);
    const shutdown = new Promise<'shutdown'>((resolve) => {
      if (signal.aborted) resolve('shutdown');
      else signal.addEventListener('abort', () => resolve('shutdown'), { once: true });
    });
    const why = await Promise.race([renewals, shutdown]);
    const { logger, lock } = this.options;
    if (why === 'lost') {
      this.leading = false;
      logger.warn({ lease: lock.description, identity: this.identity }, 'lost the lease, stopped leading');
      await callbacks.onStoppedLeading();
      return;
    }
    // Shutting down: keep the Lease renewed while the pass in flight finishes, then let it go.
    await callbacks.onStoppedLeading();
    renewing.abort();
    const last = await renewals;
    this.leading = false;
    if (last !== 'lost' && this.options.releaseOnCancel) await this.release();
  }

  /** Renews every retry period; resolves 'lost' when it could not within the renew deadline. */
  private async renew(acquiredAt: number, signal: AbortSignal): Promise<'lost' | 'stopped'> {
    let renewedAt = acquiredAt;
    while (await pause(this.retryPeriodMs, signal)) {
      const started = performance.now();
      const remaining = renewedAt + this.renewDeadlineMs - started;
      // A request that hangs past the deadline counts as a failed renewal, as in client-go.
      const deadline = new AbortController();
      const renewed = await Promise.race([
        this.attempt(),
        pause(remaining, deadline.signal).then(() => false),
      ]);
      deadline.abort();
      if (renewed) renewedAt = started;
      else if (this.heldByOther() || performance.now() - renewedAt >= this.renewDeadlineMs) return 'lost';
    }
    return 'stopped';
  }

  /** One read and, when the Lease is free, expired or ours, one write. True when we hold it after. */
  private async attempt(): Promise<boolean> {
    const { lock, logger } = this.options;
    try {
      const lease = await lock.get();
      this.callbacks?.onLeaseObserved?.(true);
      const now = microTime(new Date());
      const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
      if (!lease) {
        const created = await lock.create({
          holderIdentity: this.identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        });
        if (created) this.observe(created);
        return created !== undefined;
      }
      this.observe(lease);
      if (this.heldByOther() && this.observedValid()) return false;
      const spec = lease.spec ?? {};
      const ours = spec.holderIdentity === this.identity;
      const next: V1Lease = {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: this.identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: now,
          acquireTime: ours ? spec.acquireTime : now,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
        },
      };
      const replaced = await lock.replace(next);
      if (replaced) this.observe(replaced);
      return replaced !== undefined;
    } catch (err) {
      this.callbacks?.onLeaseObserved?.(false);
      logger.warn({ err, lease: lock.description }, 'cannot read or write the leader election lease');
      return false;
    }
  }

  private observe(lease: V1Lease): void {
    // The election record, not the resourceVersion: a nudge written by a follower also bumps that, and
    // must not look like a renewal, or webhooks would keep a dead leader's Lease alive.
    const spec = lease.spec ?? {};
    const version = [spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions]
      .map((v) => (v instanceof Date ? v.toISOString() : String(v)))
      .join('|');
    if (version !== this.observed.version) {
      this.observed = {
        version,
        at: performance.now(),
        holder: lease.spec?.holderIdentity ?? '',
        durationMs: (lease.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000,
      };
    }
    const nudge = lease.metadata?.annotations?.[nudgeAnnotation];
    // The value in the first Lease read predates this replica; its own first pass as leader covers it.
    if (this.lastNudge !== undefined && nudge !== undefined && nudge !== this.lastNudge.value && this.leading)
      this.callbacks?.onNudge?.();
    this.lastNudge = { value: nudge };
  }

  private heldByOther(): boolean {
    return this.observed.holder !== '' && this.observed.holder !== this.identity;
  }

  private observedValid(): boolean {
    return this.observed.at + this.observed.durationMs > performance.now();
  }

  /** Empties the holder so that a follower takes over at its next attempt, not a lease duration later. */
  private async release(): Promise<void> {
    const { lock, logger } = this.options;
    try {
      const lease = await lock.get();
      if (lease?.spec?.holderIdentity !== this.identity) return;
      const now = microTime(new Date());
      const released = await lock.replace({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      });
      if (released) logger.info({ lease: lock.description, identity: this.identity }, 'released the lease');
    } catch (err) {
      logger.warn({ err, lease: lock.description }, 'could not release the lease; it expires on its own');
    }
  }
}

/** Sleeps; false (at once) when `signal` aborts. */
async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(Math.max(0, ms), undefined, signal ? { signal } : undefined);
    return true;
  } catch {
    return false;
  }
}
