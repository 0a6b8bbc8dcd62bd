import { describe, expect, it } from 'vitest';
import { PassQueue, type PassTrigger } from '../../../src/daemon/pass-queue.js';

/** A pass that waits until the test releases it, so overlaps can be staged exactly. */
function gatedPasses() {
  const triggers: PassTrigger[] = [];
  let release: () => void = () => undefined;
  const pass = (trigger: PassTrigger) => {
    triggers.push(trigger);
    return new Promise<void>((resolve) => (release = resolve));
  };
  const finishOne = async () => {
    release();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { triggers, pass, finishOne };
}

describe('PassQueue', () => {
  it('queues exactly one follow-up for any number of nudges during a pass', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass, { minNudgeIntervalMs: 0 });

    queue.request('schedule');
    for (let i = 0; i < 3; i += 1) expect(queue.request('nudge')).toBe(true);
    await gate.finishOne();
    await gate.finishOne();

    expect(gate.triggers).toEqual(['schedule', 'nudge']);
    expect(queue.busy).toBe(false);
  });

  it('skips a schedule tick that lands during a pass', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass, { minNudgeIntervalMs: 0 });

    queue.request('start');
    expect(queue.request('schedule')).toBe(false);
    await gate.finishOne();

    expect(gate.triggers).toEqual(['start']);
  });

  it('on close drops the queued follow-up, waits for the pass in flight and refuses new requests', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass, { minNudgeIntervalMs: 0 });
    queue.request('start');
    queue.request('nudge');

    const closed = queue.close();
    await gate.finishOne();
    await closed;

    expect(gate.triggers).toEqual(['start']);
    expect(queue.request('nudge')).toBe(false);
  });

  it('starts a nudged pass no sooner than the interval after the last nudged one, coalescing what comes meanwhile', async () => {
    const starts: [PassTrigger, number][] = [];
    const began = performance.now();
    const queue = new PassQueue(
      (trigger) => {
        starts.push([trigger, performance.now() - began]);
        return Promise.resolve();
      },
      { minNudgeIntervalMs: 200 },
    );

    queue.request('start');
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 1_000; i += 1) expect(queue.request('nudge')).toBe(true);
    await waitUntilIdle(queue);

    expect(starts.map(([trigger]) => trigger)).toEqual(['start', 'nudge', 'nudge']);
    const [, first, second] = starts.map(([, at]) => at);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(195);
  });

  it('starts a nudge at once after a scheduled pass, which the interval does not count', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass, { minNudgeIntervalMs: 60_000 });
    queue.request('start');
    await gate.finishOne();

    queue.request('nudge');

    expect(gate.triggers).toEqual(['start', 'nudge']);
    await gate.finishOne();
  });

  it('on close stops waiting for a nudge turn, and runs no pass', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass, { minNudgeIntervalMs: 60_000 });
    queue.request('nudge');
    await gate.finishOne();
    queue.request('nudge'); // its turn is a minute away

    await queue.close();

    expect(gate.triggers).toEqual(['nudge']);
  });
});

async function waitUntilIdle(queue: PassQueue): Promise<void> {
  while (queue.busy) await new Promise((resolve) => setTimeout(resolve, 10));
}
