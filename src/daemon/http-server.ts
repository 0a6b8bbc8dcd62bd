// The daemon's one HTTP port: /healthz (the process answers), /readyz (see readiness.ts), /metrics
// (Prometheus text format) and POST /hooks/git, the push-webhook receiver that asks for a poll now. The
// receiver is reachable by anyone who can reach the port, so it refuses what it can before reading, reads
// a bounded body within a deadline without keeping it, and ignores a delivery it has already acted on.
// Plain node:http: four fixed routes need no router, and every dependency is one more thing to patch.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { DaemonMetrics, WebhookResult } from './metrics.js';
import type { ReadinessStatus } from './readiness.js';
import { ReplayGuard } from './replay-guard.js';
import { beginVerification, type BodyVerifier, type WebhookSource } from './webhook-signature.js';
import type { PageHandler } from './timeline-page.js';

/**
 * A push event is a few KB; the body is only hashed, never used (gitcanary asks git what changed). A push
 * of thousands of commits can exceed it: its delivery is refused, and the next poll finds the push.
 */
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;
/** How long a body may take to arrive once its headers have. */
const WEBHOOK_BODY_TIMEOUT_MS = 10_000;
/** Deliveries being read at once; beyond it, 503 (each costs a socket and its buffers, nothing more). */
const MAX_CONCURRENT_DELIVERIES = 64;
/** How long a refused sender's remaining bytes are discarded before its connection is cut. */
const LINGER_MS = 2_000;

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
  /** Largest body accepted (`--webhook-max-body-bytes`). */
  webhookMaxBodyBytes?: number;
  webhookBodyTimeoutMs?: number;
  maxConcurrentDeliveries?: number;
  /** Remembers accepted deliveries; one per server unless a test passes its own. */
  replayGuard?: ReplayGuard;
  /** Milliseconds since the epoch: the generic signature's timestamp window and the replay window. */
  clock?: () => number;
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

interface PushReceiverState {
  inFlight: number;
  replays: ReplayGuard;
}

export async function startDaemonServer(options: DaemonServerOptions): Promise<DaemonServer> {
  const receiver: PushReceiverState = { inFlight: 0, replays: options.replayGuard ?? new ReplayGuard() };
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    route(options, receiver, req, res).catch((err: unknown) => {
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

async function route(
  options: DaemonServerOptions,
  receiver: PushReceiverState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
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
      return receivePush(options, receiver, req, res);
    case '/':
      if (!isRead) return methodNotAllowed(res, 'GET, HEAD');
      return options.page ? options.page(res) : send(res, 404, 'not found\n');
    default:
      return send(res, 404, 'not found\n');
  }
}

async function receivePush(
  options: DaemonServerOptions,
  receiver: PushReceiverState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { logger, metrics, webhookSecret } = options;
  const now = options.clock ?? Date.now;
  const refuse = (result: WebhookResult, status: number, text: string) => {
    metrics.webhook(result);
    refuseUnread(req, res, status, text);
  };
  if (!webhookSecret) {
    return refuse('rejected', 404, 'webhook receiver disabled: start gitcanary with --webhook-secret-file\n');
  }
  // Everything that can be refused before the body is refused before the body: nothing is read for it.
  const limit = options.webhookMaxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return refuse('rejected', 413, `payload larger than ${limit} bytes\n`);
  const begun = beginVerification(req.headers, webhookSecret, now());
  if (!begun.ok) {
    // Never the header values themselves: a near-miss signature or token is still sensitive.
    logger.warn({ reason: begun.reason, remote: req.socket.remoteAddress }, 'push webhook refused');
    return refuse('unauthorized', 401, `${begun.reason}\n`);
  }
  if (receiver.inFlight >= (options.maxConcurrentDeliveries ?? MAX_CONCURRENT_DELIVERIES)) {
    return refuse('rejected', 503, 'too many deliveries in flight; try again\n');
  }

  receiver.inFlight += 1;
  let body: BodyOutcome;
  try {
    const timeoutMs = options.webhookBodyTimeoutMs ?? WEBHOOK_BODY_TIMEOUT_MS;
    body = await streamBody(req, begun.verifier, limit, timeoutMs);
  } finally {
    receiver.inFlight -= 1;
  }
  if (body === 'too-large') return refuse('rejected', 413, `payload larger than ${limit} bytes\n`);
  if (body === 'timeout') return refuse('rejected', 408, 'the body did not arrive in time\n');
  if (body === 'aborted') return void metrics.webhook('rejected');

  const verdict = begun.verifier.finish();
  if (!verdict.ok) {
    metrics.webhook('unauthorized');
    logger.warn({ reason: verdict.reason, remote: req.socket.remoteAddress }, 'push webhook refused');
    return send(res, 401, `${verdict.reason}\n`);
  }
  const { source, event, replayKeys } = verdict.delivery;
  if (event === 'ping') {
    metrics.webhook('ignored');
    logger.info({ source, event }, 'push webhook ping');
    return send(res, 200, 'pong\n');
  }
  // A 2xx, so that a forge's own redelivery of an accepted delivery does not show as a failure.
  if (receiver.replays.checkAndRemember(replayKeys, now())) {
    metrics.webhook('replayed');
    logger.info({ source, event }, 'push webhook replayed, ignored');
    return send(res, 200, 'delivery already received; ignored\n');
  }
  const outcome = await options.onPush({ source, event });
  if (outcome === 'unavailable') {
    receiver.replays.forget(replayKeys);
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

type BodyOutcome = 'complete' | 'too-large' | 'timeout' | 'aborted';

/**
 * Feeds the body to the verifier as it arrives and keeps none of it. Stops reading at `limit` bytes (a
 * chunked body declares no length) and at the deadline (a slow upload holds a connection, nothing more).
 */
function streamBody(
  req: IncomingMessage,
  verifier: BodyVerifier,
  limit: number,
  timeoutMs: number,
): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    let size = 0;
    const done = (outcome: BodyOutcome) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onClose);
      // Events rather than `for await`: leaving that loop early would destroy the socket before the answer.
      if (outcome !== 'complete') req.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done('too-large');
      else verifier.update(chunk);
    };
    const onEnd = () => done('complete');
    const onGone = () => done('aborted');
    const onClose = () => {
      if (!req.complete) done('aborted');
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onClose);
  });
}

/**
 * Answers before (the rest of) the body, then ends the connection. Not at once: a sender still sending would
 * get a reset, which can overtake the answer it has not read yet. So the answer is sent, our side of the
 * connection is closed, what still arrives is discarded (read, never kept) for a moment, and then it is cut.
 */
function refuseUnread(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  req.resume();
  res.once('finish', () => {
    req.socket.end();
    setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
  });
  send(res, status, text);
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
