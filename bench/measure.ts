// Small helpers for timing: a stopwatch, medians, and running a measurement several times after a
// warm-up, so one slow run (a GC, another test suite on the machine) does not decide the result.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const elapsedMs = (start: number) => performance.now() - start;

export interface Timed<T> {
  ms: number;
  value: T;
  /**
   * The longest the event loop was kept from a turn while `fn` ran (a timer firing this late): how long
   * /readyz or the Lease renewal could have waited. On a busy machine it also holds time the process was
   * not scheduled at all.
   */
  loopBlockMs: number;
}

export async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  const value = await fn();
  const ms = elapsedMs(start);
  delay.disable();
  return { ms, value, loopBlockMs: delay.max / 1e6 };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface Repeat {
  warmups: number;
  runs: number;
}

/** Calls `run(i)` for `warmups + runs` iterations and returns the measured ones (warm-ups dropped). */
export async function repeat<T>({ warmups, runs }: Repeat, run: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < warmups + runs; i += 1) {
    const result = await run(i);
    if (i >= warmups) results.push(result);
  }
  return results;
}

/** The median of each numeric field over the runs. */
export function medians<K extends string>(runs: readonly Record<K, number>[]): Record<K, number> {
  const first = runs[0];
  if (!first) throw new Error('no runs to take a median of');
  const keys = Object.keys(first) as K[];
  return Object.fromEntries(keys.map((key) => [key, median(runs.map((r) => r[key]))])) as Record<K, number>;
}

/** The nearest-rank percentile (`p` in 0–100): the smallest value that `p`% of the values do not exceed. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

/** A `kB` field of /proc/<pid>/status (VmHWM, VmRSS), or undefined when it has none. */
export function statusKiB(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) : undefined;
}
