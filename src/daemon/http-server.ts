// The daemon's one HTTP port: /healthz (the process answers), /readyz (see readiness.ts), /metrics
// (Prometheus text format) and POST /hooks/git, the push-webhook receiver that asks for a poll now.
// Plain node:http: four fixed routes need no router, and every dependency is one more thing to patch.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { DaemonMetrics } from './metrics.js';
import type { ReadinessStatus } from './readiness.js';
import { verifyWebhook, type WebhookSource } from './webhook-signature.js';
import type { PageHandler } from './timeline-page.js';

/** GitHub caps webhook payloads at 25 MB; anything larger is not a forge's push event. */
export const maxWebhookBytes = 25 * 1024 * 1024;

/** queued: this replica reconciles now; forwarded: passed to the leader; unavailable: neither. */
export type PushOutcome = 'queued' | 'forwarded' | 'unavailable';

export interface DaemonServerOptions {
  /** '' for every interface. */
  host: string;
  port: number;
  metrics: DaemonMetrics;
  readiness: () => ReadinessStatus;
  /** Without a secret the receiver is off: an unauthenticated poll trigger is never offered. */
  webhookSecret?: Buffer;
  /** Called for each verified push; asks for a reconcile. */
  onPush: (push: { source: WebhookSource; event: string | undefined }) => Promise<PushOutcome>;
  logger: Logger;
  /** `GET /`: the timeline page (timeline-page.ts); 404 without one. */
  page?: PageHandler;
}

export interface DaemonServer {
  /** `http://host:port` as bound (port 0 gives a free one). */
  url: string;
  close(): Promise<void>;
}

export async function startDaemonServer(options: DaemonServerOptions): Promise<DaemonServer> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    route(options, req, res).catch((err: unknown) => {
      options.logger.error({ err, path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    // No host: Node listens on :: (and so IPv4 too) where the kernel has IPv6, else on 0.0.0.0.
    if (options.host) server.listen(options.port, options.host, listening);
    else server.listen(options.port, listening);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  options.logger.info({ address: `${host}:${port}` }, 'http server listening');
  return { url: `http://${host}:${port}`, close: () => closeServer(server) };
}

async function route(options: DaemonServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const method = req.method ?? 'GET';
  const isRead = method === 'GET' || method === 'HEAD';
  switch (path) {
    case '/healthz':
      if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
      return send(res, 200, 'ok\n');
    case '/readyz': {
      if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
      const status = options.readiness();
      return send(res, status.ready ? 200 : 503, `${status.reason}\n`);
    }
    case '/metrics': {
      if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
      const { registry } = options.metrics;
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
      return;
    }
    case '/hooks/git':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return receivePush(options, req, res);
    case '/':
      if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
      return options.page ? options.page(res) : send(res, 404, 'not found\n');
    default:
      return send(res, 404, 'not found\n');
  }
}

async function receivePush(
  options: DaemonServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { logger, metrics, webhookSecret } = options;
  if (!webhookSecret) {
    req.resume();
    metrics.webhook('rejected');
    return send(res, 404, 'webhook receiver disabled: start gitcanary with --webhook-secret-file\n');
  }
  const body = await readBody(req, maxWebhookBytes);
  if (body === undefined) {
    metrics.webhook('rejected');
    return send(res, 413, 'payload too large\n', { Connection: 'close' });
  }
  const verdict = verifyWebhook(req.headers, body, webhookSecret);
  if (!verdict.ok) {
    metrics.webhook('unauthorized');
    // Never the header values themselves: a near-miss signature or token is still sensitive.
    logger.warn({ reason: verdict.reason, remote: req.socket.remoteAddress }, 'push webhook refused');
    return send(res, 401, `${verdict.reason}\n`);
  }
  const { source, event } = verdict;
  if (event === 'ping') {
    metrics.webhook('ignored');
    logger.info({ source, event }, 'push webhook ping');
    return send(res, 200, 'pong\n');
  }
  const outcome = await options.onPush({ source, event });
  if (outcome === 'unavailable') {
    metrics.webhook('rejected');
    return send(res, 503, 'cannot reconcile now (shutting down, or no leader reachable)\n');
  }
  metrics.webhook('accepted');
  logger.info({ source, event, outcome }, 'push webhook accepted, reconciling now');
  return send(
    res,
    202,
    outcome === 'queued' ? 'reconcile requested\n' : 'reconcile requested from the leader\n',
  );
}

/** The whole body, or undefined (and the rest drained) once it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Events rather than `for await`: leaving that loop early would destroy the socket before the 413.
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string) {
  send(res, 405, 'method not allowed\n', { Allow: allow });
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections (a Prometheus scraper, kubelet probes) would otherwise hold close() open.
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 5_000).unref();
  await closed;
}
