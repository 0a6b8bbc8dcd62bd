// The one HTTP exchange the analysis makes (a Prometheus query, a webhook POST), on node:http(s) rather than
// fetch because Flagger's `insecureSkipVerify` / `disableTLS` need a per-request TLS option that Node's
// fetch does not offer. The deadline covers connecting, sending and reading the whole answer. Addresses
// from the repository go through an AddressPolicy, checked on the connection's own lookup.
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressRefusedError, type AddressPolicy } from './address-policy.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
  /** Skip TLS certificate verification (Flagger's insecureSkipVerify / disableTLS). */
  insecureSkipVerify?: boolean;
  /** Which addresses may be called; none for an address the operator gave. */
  policy?: AddressPolicy;
  /** Ends the exchange early (a Canary's analysis deadline); its reason's message becomes the error's. */
  signal?: AbortSignal;
  /** False: only the status is wanted, and the answer is not read at all (a webhook's). */
  readBody?: boolean;
  /** A connection agent of the caller's, e.g. one that tunnels through an AlertProvider's proxy. */
  agent?: Agent;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** Injectable for tests; the default is `nodeHttpTransport`. Rejects only with an HttpTransportError. */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

type HttpTransportErrorCode =
  | 'HttpTimeout'
  | 'HttpUnreachable'
  | 'HttpResponseTooLarge'
  | 'HttpRefused'
  | 'HttpAborted'
  | 'HttpInvalidRequest';

export class HttpTransportError extends Error {
  constructor(
    readonly code: HttpTransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpTransportError';
  }
}

// Answers are one sample or a webhook's short reply; anything far larger is a mistake, not data to buffer.
const MAX_BODY_BYTES = 4 * 1024 * 1024;
// Node turns a longer timer into 1 ms (with a warning): a huge timeout would fail at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

export const nodeHttpTransport: HttpTransport = (request) =>
  new Promise<HttpResponse>((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (cause) {
      reject(new HttpTransportError('HttpUnreachable', 'not a valid URL', { cause }));
      return;
    }
    const refusal = request.policy?.checkUrl(url);
    if (refusal !== undefined) return reject(new HttpTransportError('HttpRefused', refusal));
    const { signal } = request;
    if (signal?.aborted) return reject(aborted(signal));

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    let settled = false;
    let req: ReturnType<typeof send> | undefined;
    const onAbort = () => signal && finish(aborted(signal));
    const finish = (error: HttpTransportError | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        req?.destroy();
        reject(error);
      } else if (response) resolve(response);
    };
    const timer = setTimeout(
      () => finish(new HttpTransportError('HttpTimeout', `no answer within ${seconds(request.timeoutMs)}`)),
      Math.min(Math.max(request.timeoutMs, 1), MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      req = send(
        url,
        {
          method: request.method,
          // A fresh connection each time: calls are minutes apart, and a pooled socket the peer has since
          // closed would fail the check with ECONNRESET. It also makes every call resolve the name again,
          // through the policy's lookup. A caller's agent (an AlertProvider's proxy tunnel) is used as given.
          agent: request.agent ?? false,
          ...(request.policy ? { lookup: request.policy.lookup } : {}),
          headers: { ...request.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
          ...(url.protocol === 'https:' && request.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
        },
        (res: IncomingMessage) => {
          if (request.readBody === false) {
            finish(undefined, { status: res.statusCode ?? 0, body: '' });
            res.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              finish(
                new HttpTransportError('HttpResponseTooLarge', `answer larger than ${MAX_BODY_BYTES} bytes`),
              );
            } else chunks.push(chunk);
          });
          res.on('end', () =>
            finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (cause) => finish(failed(cause)));
        },
      );
    } catch (cause) {
      // Node validates header names and values as the request is built; a MetricTemplate's header with a
      // line break must fail its check, not the pass.
      const code = (cause as NodeJS.ErrnoException).code ?? 'invalid request';
      finish(new HttpTransportError('HttpInvalidRequest', `cannot send the request (${code})`, { cause }));
      return;
    }
    req.on('error', (cause) => finish(failed(cause)));
    req.end(body);
  });

/** The address without credentials, query or fragment: safe to put in a reason that git will record. */
export function displayAddress(address: string): string {
  try {
    const url = new URL(address);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/u, '')}`;
  } catch {
    return '(invalid address)';
  }
}

function failed(cause: Error): HttpTransportError {
  if (cause instanceof AddressRefusedError) return new HttpTransportError('HttpRefused', cause.refusal);
  const code = (cause as NodeJS.ErrnoException).code;
  return new HttpTransportError('HttpUnreachable', code ?? cause.message, { cause });
}

function aborted(signal: AbortSignal): HttpTransportError {
  const reason: unknown = signal.reason;
  const message = reason instanceof Error && reason.name !== 'AbortError' ? reason.message : 'cancelled';
  return new HttpTransportError('HttpAborted', message, { cause: reason });
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
