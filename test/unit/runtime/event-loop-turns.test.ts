import { describe, expect, it } from 'vitest';
import { EventLoopTurns } from '../../../src/runtime/event-loop-turns.js';

/** Busy for `ms` of wall time: synchronous work, as parsing a manifest is. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Runs `workers` concurrent loops of 1 ms chunks that check the slice before each chunk, and counts the chunks
 * run between two turns of the event loop (seen by a chain of setImmediate). Load on the machine only makes
 * a chunk end sooner in work done, never later, so the bound below holds on a busy machine too.
 */
async function chunksBetweenTurns(workers: number, chunks: number, sliceMs: number): Promise<number[]> {
  const turns = new EventLoopTurns(sliceMs);
  const counts: number[] = [0];
  let running = true;
  const tick = () => {
    if (!running) return;
    counts.push(0);
    setImmediate(tick);
  };
  setImmediate(tick);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < chunks; i += 1) {
        while (turns.spent()) await turns.next();
        work(1);
        counts[counts.length - 1] = (counts.at(-1) ?? 0) + 1;
        // Work that awaits (a read, an apply) lets the other workers in between its chunks.
        await Promise.resolve();
      }
    }),
  );
  running = false;
  return counts;
}

describe('EventLoopTurns', () => {
  it('lets the event loop turn once a slice of synchronous work is spent', async () => {
    const counts = await chunksBetweenTurns(1, 60, 5);
    // Without a turn, all 60 chunks would run before the first tick.
    expect(counts.length).toBeGreaterThan(5);
    expect(Math.max(...counts)).toBeLessThanOrEqual(6);
  });

  it('makes concurrent workers wait for one shared turn, not one slice each in a row', async () => {
    const counts = await chunksBetweenTurns(16, 10, 5);
    // One slice (5 chunks of 1 ms) and the chunk that spent it; a slice per worker would be 16 × 5.
    expect(Math.max(...counts)).toBeLessThanOrEqual(6);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(160);
  });

  it('does not ask for a turn within a slice', () => {
    expect(new EventLoopTurns(60_000).spent()).toBe(false);
    expect(new EventLoopTurns(0).spent()).toBe(true);
  });
});
