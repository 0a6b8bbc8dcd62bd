import { describe, expect, it } from 'vitest';
import { PassAbortedError, PassScope, reconcileWithin } from '../../../src/reconcile/pass-scope.js';
import type { ReconcileSummary } from '../../../src/reconcile/outcomes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = { head: 'h' } as ReconcileSummary;

describe('PassScope', () => {
  it('gives each pass its own signal, deep in its awaits and timers, and none outside', async () => {
    const scope = new PassScope();
    const seen: (AbortSignal | undefined)[] = [];
    const first = new AbortController();
    const second = new AbortController();
    const pass = async () => {
      await sleep(20);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(scope.signal());
          resolve();
        }, 10),
      );
      return summary;
    };

    await Promise.all([scope.run(first.signal, pass), scope.run(second.signal, pass)]);

    expect(new Set(seen)).toEqual(new Set([first.signal, second.signal]));
    expect(scope.signal()).toBeUndefined();
  });

  it('abandons a pass at its deadline with PassAbortedError', async () => {
    const scope = new PassScope();
    const runner = scope.runner({
      reconcileOnce: () =>
        new Promise<ReconcileSummary>((_, reject) =>
          scope.signal()?.addEventListener('abort', () => reject(new Error('request aborted'))),
        ),
    });

    await expect(reconcileWithin(runner, 100)).rejects.toBeInstanceOf(PassAbortedError);
    await expect(
      reconcileWithin(scope.runner({ reconcileOnce: () => Promise.resolve(summary) }), 100),
    ).resolves.toBe(summary);
  });
});
