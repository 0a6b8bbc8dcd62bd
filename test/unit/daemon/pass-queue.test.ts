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
    const queue = new PassQueue(gate.pass);

    queue.request('schedule');
    for (let i = 0; i < 3; i += 1) expect(queue.request('nudge')).toBe(true);
    await gate.finishOne();
    await gate.finishOne();

    expect(gate.triggers).toEqual(['schedule', 'nudge']);
    expect(queue.busy).toBe(false);
  });

  it('skips a schedule tick that lands during a pass', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass);

    queue.request('start');
    expect(queue.request('schedule')).toBe(false);
    await gate.finishOne();

    expect(gate.triggers).toEqual(['start']);
  });

  it('on close drops the queued follow-up, waits for the pass in flight and refuses new requests', async () => {
    const gate = gatedPasses();
    const queue = new PassQueue(gate.pass);
    queue.request('start');
    queue.request('nudge');

    const closed = queue.close();
    await gate.finishOne();
    await closed;

    expect(gate.triggers).toEqual(['start']);
    expect(queue.request('nudge')).toBe(false);
  });
});
