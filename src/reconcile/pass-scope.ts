// The abort signal of the reconcile pass in flight, found from anywhere inside it. The git and Kubernetes
// clients read it at each request (they take a `signal` provider), so a pass abandoned at its deadline, or
// cut short at shutdown, can start no request and ends the ones in flight. AsyncLocalStorage, not a field,
// because an abandoned pass may still be winding down when the next one starts: each keeps its own signal.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ReconcileSummary } from './outcomes.js';

/** Runs passes; `signal` aborts the one it was given. */
export interface PassRunner {
  reconcileOnce(signal?: AbortSignal): Promise<ReconcileSummary>;
}

/** Why a pass was aborted: its deadline passed, or the process is shutting down. */
export class PassAbortedError extends Error {
  readonly code = 'PassAborted';
  override readonly name = 'PassAbortedError';
}

export class PassScope {
  private readonly storage = new AsyncLocalStorage<AbortSignal>();

  /** Runs `pass` so that `signal()` inside it gives `signal`. */
  run<T>(signal: AbortSignal | undefined, pass: () => Promise<T>): Promise<T> {
    return signal ? this.storage.run(signal, pass) : pass();
  }

  /** The signal of the pass this call belongs to; undefined outside a pass. Pass it as a provider. */
  readonly signal = (): AbortSignal | undefined => this.storage.getStore();

  /** A runner whose every pass runs in this scope. */
  runner(reconciler: { reconcileOnce(): Promise<ReconcileSummary> }): PassRunner {
    return { reconcileOnce: (signal) => this.run(signal, () => reconciler.reconcileOnce()) };
  }
}

/** One pass, abandoned at `timeoutMs`: then it rejects with PassAbortedError once it has wound down. */
export async function reconcileWithin(runner: PassRunner, timeoutMs: number): Promise<ReconcileSummary> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await runner.reconcileOnce(controller.signal);
  } catch (err) {
    if (!controller.signal.aborted) throw err;
    throw new PassAbortedError(`the pass passed its deadline of ${timeoutMs} ms`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
