// A request's deadline survives garbage collection: on Node 20 `AbortSignal.any([AbortSignal.timeout(ms)])`
// does not (`node --expose-gc` shows it: combine, collect twice, wait; it never aborts).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../../src/runtime/deadline-signal.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `signal` aborted within `waitMs`, with garbage collected while it waits. */
async function abortsDespiteGc(signal: AbortSignal, waitMs: number): Promise<boolean> {
  let aborted = false;
  signal.addEventListener('abort', () => (aborted = true));
  for (let i = 0; i < 5; i += 1) {
    gc();
    await sleep(20);
  }
  await sleep(waitMs);
  return aborted;
}

describe('deadlineSignal', () => {
  it('aborts at its deadline after garbage collections, combined with another signal', async () => {
    const ours = deadlineSignal(150, new AbortController().signal);

    expect(await abortsDespiteGc(ours, 400)).toBe(true);
    expect((ours.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts when a given signal does, before the deadline, with its reason', async () => {
    const work = new AbortController();
    const signal = deadlineSignal(60_000, undefined, work.signal);

    work.abort(new Error('pass abandoned'));
    await sleep(0);

    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('pass abandoned');
  });

  it('keeps no process alive: its timer is unref’d', () => {
    const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = handles();

    deadlineSignal(60_000);

    expect(handles()).toBe(before);
  });
});
