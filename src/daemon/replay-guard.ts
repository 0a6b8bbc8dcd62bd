// Remembers the deliveries the push webhook accepted, so that a captured signed delivery sent again is
// recognised and ignored. Bounded twice: entries expire after a window, and the oldest go first once the
// memory is full (a Map iterates in insertion order, which makes it a least-recently-used list). Only
// verified deliveries are remembered, so nobody without the secret can push entries out.

interface ReplayGuardOptions {
  /** How long a delivery is remembered. */
  windowMs?: number;
  /** How many identities are remembered at most. */
  capacity?: number;
}

const DEFAULT_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
const DEFAULT_REPLAY_CAPACITY = 10_000;

export class ReplayGuard {
  private readonly seenUntil = new Map<string, number>();
  private readonly windowMs: number;
  private readonly capacity: number;

  constructor(options: ReplayGuardOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    this.capacity = options.capacity ?? DEFAULT_REPLAY_CAPACITY;
  }

  /**
   * True when any of `keys` was remembered within the window: the delivery is a replay. Otherwise all of
   * them are remembered from `nowMs` on, and false.
   */
  checkAndRemember(keys: readonly string[], nowMs: number): boolean {
    const replayed = keys.some((key) => (this.seenUntil.get(key) ?? -Infinity) > nowMs);
    if (replayed) return true;
    for (const key of keys) {
      this.seenUntil.delete(key);
      this.seenUntil.set(key, nowMs + this.windowMs);
    }
    while (this.seenUntil.size > this.capacity) {
      const oldest = this.seenUntil.keys().next();
      if (oldest.done) break;
      this.seenUntil.delete(oldest.value);
    }
    return false;
  }

  /** Forgets a delivery that could not be acted on, so that the forge's retry is not taken for a replay. */
  forget(keys: readonly string[]): void {
    for (const key of keys) this.seenUntil.delete(key);
  }

  get size(): number {
    return this.seenUntil.size;
  }
}
