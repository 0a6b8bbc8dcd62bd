// The one HTTP exchange the analysis makes (a Prometheus query, a webhook POST), on node:http(s) rather than
// fetch because Flagger's `insecureSkipVerify` / `disableTLS` need a per-request TLS option that Node's
// fetch does not offer. The deadline covers connecting, sending and reading the whole answer.
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
  /** Skip TLS certificate verification (Flagger's insecureSkipVerify / disableTLS). */
  insecureSkipVerify?: boolean;
  /** A connection agent of the caller's, e.g. one that tunnels through an AlertProvider's proxy. */
  agent?: Agent;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** Injectable for tests; the default is `nodeHttpTransport`. Rejects only with an HttpTransportError. */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

export class HttpTransportError extends Error {
  constructor(
    readonly code: 'HttpTimeout' | 'HttpUnreachable' | 'HttpResponseTooLarge',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpTransportError';
  }
}

// Answers are one sample or a webhook's short reply; anything far larger is a mistake, not data to buffer.
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export const nodeHttpTransport: HttpTransport = (request) =>
  new Promise<HttpResponse>((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (cause) {
      reject(new HttpTransportError('HttpUnreachable', 'not a valid URL', { cause }));
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    let settled = false;
    const finish = (error: HttpTransportError | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else if (response) resolve(response);
    };
    const req = send(
      url,
      {
        method: request.method,
        // A fresh connection each time: calls are minutes apart, and a pooled socket the peer has since
        // closed would fail the check with ECONNRESET.
        agent: request.agent ?? false,
        headers: { ...request.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
        ...(url.protocol === 'https:' && request.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
      },
      (res: IncomingMessage) => {
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
        res.on('error', (cause) => finish(unreachable(cause)));
      },
    );
    const timer = setTimeout(
      () => finish(new HttpTransportError('HttpTimeout', `no answer within ${seconds(request.timeoutMs)}`)),
      request.timeoutMs,
    );
    req.on('error', (cause) => finish(unreachable(cause)));
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

function unreachable(cause: Error): HttpTransportError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new HttpTransportError('HttpUnreachable', code ?? cause.message, { cause });
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
