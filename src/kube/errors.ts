// Typed errors of the cluster edge. The message of an ApplyError starts with the object it is about.
import { ApiException } from '@kubernetes/client-node';
import { kubeStatusClass, type ErrorFact } from '../core/outcome-class.js';

/** An error about one object; its message starts with it (`Service/ns/name: …`). */
abstract class KubeObjectError extends Error {
  constructor(
    readonly object: string,
    readonly status: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${object}: ${detail}`, options);
    this.name = new.target.name;
  }
}

export class ApplyError extends KubeObjectError {
  readonly code = 'ApplyFailed';
}

export class KubeReadError extends KubeObjectError {
  readonly code = 'KubeReadFailed';
}

/** The HTTP status and the API server's own message of a client-node error, when it has them. */
export function describeKubeError(err: unknown): { status: number | undefined; detail: string } {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    const parsed = typeof body === 'string' ? safeJson(body) : body;
    const message = (parsed as { message?: unknown } | undefined)?.message;
    return { status: err.code, detail: typeof message === 'string' ? message : `HTTP ${err.code}` };
  }
  // node-fetch's abort, from our request deadline or an abandoned pass (request-deadline.ts).
  if (err instanceof Error && err.name === 'AbortError') {
    return { status: undefined, detail: 'no answer from the API server before the request deadline' };
  }
  return { status: undefined, detail: err instanceof Error ? err.message : String(err) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The API server answered and refused the request (a 4xx other than 408 and 429): a fact about the objects,
 * fit to be recorded. Anything else (no answer, a deadline, a 5xx, throttling) is an outage of the moment.
 */
export function isRefusal(err: unknown): boolean {
  const status = err instanceof KubeObjectError ? err.status : describeKubeError(err).status;
  return kubeStatusClass(status) === 'stalled';
}

/** A failed request as core classifies it (core/outcome-class.ts): its code and the API server's status. */
export function kubeErrorFact(err: unknown): ErrorFact {
  if (err instanceof KubeObjectError) {
    const { code } = err as ApplyError | KubeReadError;
    return { source: 'kube', code, status: err.status };
  }
  return { source: 'kube', code: 'KubeRequestFailed', status: describeKubeError(err).status };
}
