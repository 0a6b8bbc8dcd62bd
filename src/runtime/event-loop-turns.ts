// Long synchronous work (reading and parsing thousands of manifests, planning thousands of Canaries) runs
// in slices: once a slice has run for `sliceMs`, the event loop gets a turn before the next one, so that
// /readyz answers, the Lease is renewed and timers fire while a cold start of 5,000 Canaries is under way.
// Awaiting a promise that is already settled does not give that turn (only microtasks run in between), and
// it lets other workers in before the work it was meant to precede: so the check is synchronous, made again
// in the worker's own continuation after each wait, and only a spent slice is awaited:
//
//   while (turns.spent()) await turns.next();
//
// Concurrent workers share one instance and wait for the same turn; a worker that resumes after another
// one has spent the new slice waits for the next turn, so one turn is never kept waiting by each worker's
// slice in a row.
export class EventLoopTurns {
  private sliceStart = performance.now();
  private turn: Promise<void> | undefined;

  constructor(private readonly sliceMs = 10) {}

  /** Whether the current slice has run its time: the caller should await `next()` before going on. */
  spent(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Resolves after the next turn of the event loop, which starts a new slice. */
  next(): Promise<void> {
    this.turn ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.turn = undefined;
        this.sliceStart = performance.now();
        resolve();
      }),
    );
    return this.turn;
  }
}
