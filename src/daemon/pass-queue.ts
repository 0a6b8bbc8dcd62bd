// Serialises reconcile passes: never two at once, and requests that arrive during a pass coalesce into at
// most one more. A webhook nudge that lands mid-pass may describe a commit the pass fetched too early, so it
// earns a follow-up; a cron tick that lands mid-pass does not (the next tick comes soon enough). Nudges come
// from outside (any forge, any replica), so a pass they start begins at least `minNudgeIntervalMs` after the
// last one they started: a burst of any size costs one pass now and one per interval, not one per delivery.
// Scheduled passes neither count nor wait.

export type PassTrigger = 'schedule' | 'nudge' | 'start';

interface PassQueueOptions {
  /** Least time between the starts of two nudged passes. */
  minNudgeIntervalMs?: number;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
}

/** Short enough that a push is acted on at once, long enough that a storm of deliveries is not. */
const DEFAULT_MIN_NUDGE_INTERVAL_MS = 2_000;

export class PassQueue {
  private running: Promise<void> | undefined;
  private pending = false;
  private closed = false;
  private lastNudgeStart = -Infinity;
  private wake: (() => void) | undefined;
  private readonly minNudgeIntervalMs: number;
  private readonly now: () => number;

  /** `pass` must not throw: it is the caller's job to log and record failures. */
  constructor(
    private readonly pass: (trigger: PassTrigger) => Promise<void>,
    options: PassQueueOptions = {},
  ) {
    this.minNudgeIntervalMs = options.minNudgeIntervalMs ?? DEFAULT_MIN_NUDGE_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Starts a pass now (a nudge: once the interval since the last nudged pass has passed), or queues one
   * follow-up if a pass is running or waiting. False once closed or skipped.
   */
  request(trigger: PassTrigger): boolean {
    if (this.closed) return false;
    if (this.running) {
      if (trigger === 'schedule') return false;
      this.pending = true;
      return true;
    }
    this.running = this.drain(trigger);
    return true;
  }

  /** True while a pass runs or a nudged one waits for its turn. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Accepts no more requests, drops a queued follow-up and waits for the pass in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = false;
    this.wake?.();
    await this.running;
  }

  private async drain(first: PassTrigger): Promise<void> {
    let trigger: PassTrigger | undefined = first;
    try {
      while (trigger && !this.closed) {
        // Only a wait that is needed is awaited: otherwise the pass starts in this very call.
        const turn = trigger === 'nudge' ? this.waitForTurn() : undefined;
        if (turn) await turn;
        if (this.closed) break;
        this.pending = false;
        if (trigger === 'nudge') this.lastNudgeStart = this.now();
        await this.pass(trigger);
        trigger = this.pending ? 'nudge' : undefined;
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Until `minNudgeIntervalMs` after the last nudged start, or until closed; undefined when that is now. */
  private waitForTurn(): Promise<void> | undefined {
    const waitMs = this.lastNudgeStart + this.minNudgeIntervalMs - this.now();
    if (waitMs <= 0) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), waitMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
