// The write loop of a reconcile step: build commits on the current head, push, and when another writer
// pushed first, fetch their head and build again on top of it. Never forces, so their commit is kept;
// bounded attempts with jittered exponential backoff keep two replicas from colliding in lockstep.
import { setTimeout as delay } from 'node:timers/promises';
import { GitConfigError, PushConflictError } from './errors.js';
import { pollHead } from './poll-head.js';
import type { Repository } from './repository.js';

export interface PushWithRetryOptions {
  repo: Pick<Repository, 'branch' | 'displayUrl' | 'remoteHead' | 'localHead' | 'fetch' | 'push'>;
  /** The head the caller already planned from; polled when absent. */
  head?: string;
  /** Builds the commit(s) on `head` and returns the one to push; undefined when there is nothing to do. */
  attempt: (head: string) => Promise<string | undefined>;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), like Math.random. */
  random?: () => number;
  /** Told before each backoff, e.g. to log `push rejected, re-planning`. */
  onConflict?: (conflict: { attempt: number; delayMs: number; error: PushConflictError }) => void;
}

interface PushWithRetryResult {
  /** The commit now at the head of the branch, or undefined when the last attempt had nothing to push. */
  pushed: string | undefined;
  /** The head the last attempt built on. */
  head: string;
  attempts: number;
}

export async function pushWithRetry(options: PushWithRetryOptions): Promise<PushWithRetryResult> {
  const {
    repo,
    attempt,
    maxAttempts = 5,
    baseDelayMs = 250,
    maxDelayMs = 8_000,
    sleep = (ms: number) => delay(ms),
    random = Math.random,
  } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  let head = options.head ?? (await pollHead(repo)).head;
  for (let attempts = 1; ; attempts++) {
    const pushed = await attempt(head);
    if (pushed === undefined) return { pushed, head, attempts };
    try {
      await repo.push(pushed);
      return { pushed, head, attempts };
    } catch (err) {
      if (!(err instanceof PushConflictError) || attempts >= maxAttempts) throw err;
      const delayMs = backoffDelay(attempts, random(), baseDelayMs, maxDelayMs);
      options.onConflict?.({ attempt: attempts, delayMs, error: err });
      await sleep(delayMs);
      const next = await repo.fetch();
      // Re-planning on an unchanged head would build the same commit and be refused the same way: the
      // server declined the update itself (a hook, a protected branch), which no retry fixes.
      if (next === head) {
        throw new GitConfigError(
          `${repo.displayUrl}: push to ${repo.branch} refused although the branch did not move`,
          {
            cause: err,
          },
        );
      }
      head = next;
    }
  }
}

/** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))). */
export function backoffDelay(
  attempt: number,
  random: number,
  baseDelayMs: number,
  maxDelayMs: number,
): number {
  return Math.floor(random * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
}
