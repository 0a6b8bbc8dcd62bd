// A request's abort signal: its own deadline, or any of the given signals (the caller's, the pass's).
//
// Not `AbortSignal.any([AbortSignal.timeout(ms), …])`: on Node 20 nothing holds the timeout signal strongly
// once it is combined, so a garbage collection before the deadline loses it and the combined signal never
// aborts (a push held 8 s went through a 1.5 s deadline in a full test run). Here the timer holds the
// controller until it fires; it is unref'd, so it keeps no process alive.
export function deadlineSignal(timeoutMs: number, ...others: (AbortSignal | undefined)[]): AbortSignal {
  const deadline = new AbortController();
  setTimeout(
    () => deadline.abort(new DOMException('the request deadline passed', 'TimeoutError')),
    timeoutMs,
  ).unref();
  const given = others.filter((signal): signal is AbortSignal => signal !== undefined);
  return given.length === 0 ? deadline.signal : AbortSignal.any([deadline.signal, ...given]);
}
