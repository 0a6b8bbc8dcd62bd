import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { V1Lease } from '@kubernetes/client-node';
import { LeaderElector } from '../../../src/daemon/leader-elector.js';

/** A Lease in memory with the API server's optimistic concurrency: a stale replace is refused. */
class MemoryLock {
  readonly description = 'Lease/test/gitcanary-leader';
  failing = false;
  private lease: V1Lease | undefined;
  private version = 0;

  get(): Promise<V1Lease | undefined> {
    return this.answer(() => this.lease);
  }

  create(spec: V1Lease['spec']): Promise<V1Lease | undefined> {
    return this.answer(() => {
      if (this.lease) return undefined;
      return this.store({ metadata: { name: 'gitcanary-leader' }, ...(spec ? { spec } : {}) });
    });
  }

  replace(lease: V1Lease): Promise<V1Lease | undefined> {
    return this.answer(() => {
      if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) return undefined;
      return this.store(lease);
    });
  }

  private store(lease: V1Lease): V1Lease {
    this.version += 1;
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(this.version) } };
    return this.lease;
  }

  private answer<T>(run: () => T): Promise<T> {
    if (this.failing) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(structuredClone(run()));
  }
}

// The Lease holds whole seconds, so one second is the shortest lease that means what it says.
const timing = { leaseDurationMs: 1_000, renewDeadlineMs: 400, retryPeriodMs: 50 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function replica(lock: MemoryLock, identity: string, releaseOnCancel = false) {
  const elector = new LeaderElector({
    lock,
    identity,
    logger: pino({ level: 'silent' }),
    releaseOnCancel,
    ...timing,
  });
  const log: string[] = [];
  const controller = new AbortController();
  const running = elector.run(controller.signal, {
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => void log.push(`${identity} stopped`),
    onNudge: () => log.push(`${identity} nudged`),
  });
  return { elector, log, stop: async () => (controller.abort(), await running) };
}

describe('LeaderElector', () => {
  it('steps down within the renew deadline when it cannot renew', async () => {
    const lock = new MemoryLock();
    const a = replica(lock, 'a');
    await sleep(100);
    expect(a.elector.isLeader).toBe(true);

    lock.failing = true;
    const failedAt = performance.now();
    while (a.elector.isLeader) await sleep(5);
    const steppedDownAfter = performance.now() - failedAt;
    await a.stop();

    expect(a.log).toEqual(['a started', 'a stopped']);
    // One retry period of granularity, plus room for a busy machine's timers.
    expect(steppedDownAfter).toBeLessThanOrEqual(timing.renewDeadlineMs + timing.retryPeriodMs + 200);
  });

  it('passes a follower’s nudge to the leader, once', async () => {
    const lock = new MemoryLock();
    const a = replica(lock, 'a');
    await sleep(100);
    const b = replica(lock, 'b');
    await sleep(100);

    expect(await b.elector.requestNudge()).toBe(true);
    await sleep(3 * timing.retryPeriodMs);
    await Promise.all([a.stop(), b.stop()]);

    expect(a.log).toEqual(['a started', 'a nudged', 'a stopped']);
  });

  it('does not let nudges keep a dead leader’s Lease alive', async () => {
    const lock = new MemoryLock();
    const a = replica(lock, 'a');
    await sleep(100);
    const b = replica(lock, 'b');
    await sleep(100);

    await a.stop(); // no release: to b this is a crash
    const diedAt = performance.now();
    while (!b.elector.isLeader && performance.now() - diedAt < 3 * timing.leaseDurationMs) {
      await b.elector.requestNudge();
      await sleep(100);
    }
    const takeover = performance.now() - diedAt;
    await b.stop();

    expect(b.log[0]).toBe('b started');
    expect(takeover).toBeLessThan(timing.leaseDurationMs + 5 * timing.retryPeriodMs + 200);
  });

  it('refuses timings where a leader could outlive its lease', () => {
    expect(
      () =>
        new LeaderElector({
          lock: new MemoryLock(),
          identity: 'a',
          logger: pino({ level: 'silent' }),
          leaseDurationMs: 10_000,
          renewDeadlineMs: 15_000,
        }),
    ).toThrow(RangeError);
  });
});
