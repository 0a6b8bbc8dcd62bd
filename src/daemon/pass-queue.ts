// Serialises reconcile passes: never two at once, and requests that arrive during a pass coalesce into at
// most one more. A webhook nudge that lands mid-pass may describe a commit the pass fetched too early, so it
// earns a follow-up; a cron tick that lands mid-pass does not (the next tick comes soon enough).

export type PassTrigger = 'schedule' | 'nudge' | 'start';

export class PassQueue {
  private running: Promise<void> | undefined;
  private pending = false;
  private closed = false;

  /** `pass` must not throw: it is the caller's job to log and record failures. */
  constructor(private readonly pass: (trigger: PassTrigger) => Promise<void>) {}

  /** Starts a pass now, or queues one follow-up if a pass is running. False once closed or skipped. */
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

  /** True while a pass runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Accepts no more requests, drops a queued follow-up and waits for the pass in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = false;
    await this.running;
  }

  private async drain(first: PassTrigger): Promise<void> {
    let trigger: PassTrigger | undefined = first;
    try {
      while (trigger && !this.closed) {
        this.pending = false;
        await this.pass(trigger);
        trigger = this.pending ? 'nudge' : undefined;
      }
    } finally {
      this.running = undefined;
    }
  }
}
