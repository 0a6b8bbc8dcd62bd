// A git forge that misbehaves on demand: an HTTP proxy on loopback in front of the test git server that can
// be down, answer 500 before or after it lets a push through, hold a push's answer (a forge running slow
// hooks) or never answer at all. Faults are switched while clients use it; counts say what it saw.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type GitRequestKind = 'refs' | 'fetch' | 'push';

export interface ProxyFaults {
  /** Every connection is closed at once, as a forge that is down or restarting. */
  down?: boolean;
  /** Pushes answered 500 without reaching the server: nothing was pushed. */
  failPushBefore?: boolean;
  /** Pushes reach the server (and land), then are answered 500: the client cannot know they landed. */
  failPushAfter?: boolean;
  /** The server's answer to a push is held this long before it is sent. */
  holdPushMs?: number;
  /** Requests of these kinds are never answered (a black hole). */
  blackHole?: GitRequestKind[];
  /** Told when a push arrives (it is then sent on to the server) and when its answer goes back. */
  onPush?: (moment: 'received' | 'answered') => void;
}

export interface FaultyGitProxy {
  /** The proxy's base URL: a repository `name` is at `${url}/${name}.git`. */
  url: string;
  faults: ProxyFaults;
  /** Requests by kind that reached the proxy, and the faults it applied. */
  counts: Record<GitRequestKind | 'refused' | 'failedBefore' | 'failedAfter' | 'held', number>;
  stop(): Promise<void>;
}

export function kindOf(req: IncomingMessage): GitRequestKind {
  const url = req.url ?? '';
  if (url.endsWith('/git-receive-pack')) return 'push';
  if (url.endsWith('/git-upload-pack')) return 'fetch';
  return 'refs';
}

export async function startFaultyGitProxy(upstream: string): Promise<FaultyGitProxy> {
  const target = new URL(upstream);
  const counts: FaultyGitProxy['counts'] = {
    refs: 0,
    fetch: 0,
    push: 0,
    refused: 0,
    failedBefore: 0,
    failedAfter: 0,
    held: 0,
  };
  const faults: ProxyFaults = {};
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = createServer((req, res) => {
    // Connections opened before the outage are kept alive by clients: they fail too.
    if (faults.down) {
      counts.refused += 1;
      req.socket.destroy();
      return;
    }
    const kind = kindOf(req);
    counts[kind] += 1;
    if (kind === 'push') faults.onPush?.('received');
    if (faults.blackHole?.includes(kind)) return;
    if (kind === 'push' && faults.failPushBefore) {
      counts.failedBefore += 1;
      req.resume();
      res.writeHead(500).end('injected failure before the push\n');
      return;
    }
    forward(req, res, kind);
  });
  server.on('connection', (socket) => {
    if (faults.down) {
      counts.refused += 1;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function forward(req: IncomingMessage, res: ServerResponse, kind: GitRequestKind): void {
    const upstreamReq = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (upstreamRes) => {
        const chunks: Buffer[] = [];
        upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.on('end', () => {
          const body = Buffer.concat(chunks);
          const answer = () => {
            if (res.destroyed) return;
            if (kind === 'push' && faults.failPushAfter) {
              counts.failedAfter += 1;
              res.writeHead(500).end('injected failure after the push\n');
              return;
            }
            const headers = { ...upstreamRes.headers };
            delete headers['transfer-encoding'];
            res.writeHead(upstreamRes.statusCode ?? 502, { ...headers, 'content-length': body.length });
            res.end(body);
            if (kind === 'push') faults.onPush?.('answered');
          };
          const hold = kind === 'push' ? (faults.holdPushMs ?? 0) : 0;
          if (hold > 0) {
            counts.held += 1;
            later(hold, answer);
          } else {
            answer();
          }
        });
      },
    );
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('upstream unreachable\n');
    });
    req.pipe(upstreamReq);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('git proxy has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    faults,
    counts,
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
