// Gives every request of the API clients made from a KubeConfig a deadline, and ends it when the work it
// belongs to (the reconcile pass) is abandoned. client-node sets none: an API server that accepts the
// connection and never answers held a pass for minutes. Watches are not concerned (they use
// applyToFetchOptions, not this hook, and the live cache has its own watchdog).
import type { KubeConfig } from '@kubernetes/client-node';
import { deadlineSignal } from '../runtime/deadline-signal.js';

interface RequestDeadlineOptions {
  /** Deadline of one request, from sending it to the end of the answer's body. */
  timeoutMs: number;
  /** The signal of the work in flight, read at each request; its abort ends the request. */
  signal?: () => AbortSignal | undefined;
}

/**
 * A copy of `kubeConfig` whose API clients give each request a deadline; the original is left as it was.
 * The copy keeps the original's class, so a copy made by reuseConnections still shares its connections.
 */
export function withRequestDeadline(kubeConfig: KubeConfig, options: RequestDeadlineOptions): KubeConfig {
  const copy = Object.assign(
    Object.create(Object.getPrototypeOf(kubeConfig) as object) as KubeConfig,
    kubeConfig,
  );
  const authenticate = copy.applySecurityAuthentication.bind(copy);
  copy.applySecurityAuthentication = async (context) => {
    await authenticate(context);
    context.setSignal(deadlineSignal(options.timeoutMs, context.getSignal(), options.signal?.()));
  };
  return copy;
}
