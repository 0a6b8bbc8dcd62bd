import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LeaderElector, type LeaderElectorOptions } from '../../../src/daemon/leader-elector.js';
import { LeaseLock } from '../../../src/kube/lease-lock.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

const kc = testKubeConfig();
// client-go's proportions (15 s / 10 s / 2 s), shrunk so a takeover fits in a test.
const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Electors on one Lease, with a log of who led when and a check that two never lead at once. */
function election(namespace: string) {
  const lock = new LeaseLock(kc, namespace, 'gitcanary-leader');
  const leaders = new Set<string>();
  const events: { at: number; who: string; what: 'started' | 'stopped' }[] = [];
  let overlaps = 0;
  const start = (identity: string, options: Partial<LeaderElectorOptions> = {}) => {
    const elector = new LeaderElector({
      lock,
      identity,
      logger: pino({ level: 'silent' }),
      ...timing,
      ...options,
    });
    const controller = new AbortController();
    const running = elector.run(controller.signal, {
      onStartedLeading: () => {
        if (leaders.size > 0) overlaps += 1;
        leaders.add(identity);
        events.push({ at: performance.now(), who: identity, what: 'started' });
      },
      onStoppedLeading: () => {
        leaders.delete(identity);
        events.push({ at: performance.now(), who: identity, what: 'stopped' });
      },
    });
    return { elector, stop: async () => (controller.abort(), await running) };
  };
  const waitForLeader = async (timeoutMs: number): Promise<string> => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const [leader] = leaders;
      if (leader) return leader;
      await sleep(20);
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  };
  return { lock, start, waitForLeader, leaders, events, overlaps: () => overlaps };
}

describe('leader election on a Lease', () => {
  it('elects one leader, hands over within a lease duration when it dies, at once when it shuts down', async () => {
    const e = election(await createTestNamespace(kc, 'lease'));
    // The first replica releases nothing on stop: stopping it is what a crash looks like to the others.
    const a = e.start('a', { releaseOnCancel: false });
    expect(await e.waitForLeader(2_000)).toBe('a');
    const b = e.start('b', { releaseOnCancel: true });
    await sleep(2 * timing.leaseDurationMs);
    expect([...e.leaders]).toEqual(['a']);
    expect(b.elector.isLeader).toBe(false);

    // 1. The leader dies: b takes over once it has seen no renewal for a lease duration.
    const died = performance.now();
    await a.stop();
    expect(await e.waitForLeader(timing.leaseDurationMs + 2_000)).toBe('b');
    const takeover = performance.now() - died;

    // 2. The new leader shuts down and releases: c takes over at its next attempt.
    const c = e.start('c');
    await sleep(timing.retryPeriodMs * 3);
    expect([...e.leaders]).toEqual(['b']);
    const released = performance.now();
    await b.stop();
    expect(await e.waitForLeader(timing.leaseDurationMs)).toBe('c');
    const handover = performance.now() - released;
    await c.stop();

    expect(e.overlaps()).toBe(0);
    // Not before the lease could have expired (minus the follower's read interval), not much after.
    expect(takeover).toBeGreaterThan(timing.leaseDurationMs - 2 * timing.retryPeriodMs);
    expect(takeover).toBeLessThan(timing.leaseDurationMs + 3 * timing.retryPeriodMs + 500);
    expect(handover).toBeLessThan(3 * timing.retryPeriodMs);
    const lease = await e.lock.get();
    expect(lease?.spec?.leaseTransitions).toBe(2);
    console.log(
      `takeover after a crash ${takeover.toFixed(0)} ms, after a release ${handover.toFixed(0)} ms`,
    );
  });

  it('never has two leaders among three replicas that start together and come and go', async () => {
    const e = election(await createTestNamespace(kc, 'lease'));
    const replicas = ['x', 'y', 'z'].map((id) => ({ id, replica: e.start(id, { releaseOnCancel: true }) }));
    await e.waitForLeader(2_000);

    for (let round = 0; round < 3; round += 1) {
      const leader = await e.waitForLeader(timing.leaseDurationMs + 2_000);
      const index = replicas.findIndex((r) => r.id === leader);
      const current = replicas[index];
      if (!current) throw new Error('leader not among replicas');
      await current.replica.stop();
      const id = `${leader}${round}`;
      replicas[index] = { id, replica: e.start(id, { releaseOnCancel: true }) };
    }
    await Promise.all(replicas.map((r) => r.replica.stop()));

    expect(e.overlaps()).toBe(0);
    expect(e.events.filter((ev) => ev.what === 'started').length).toBeGreaterThanOrEqual(4);
  });
});
