// The HTTP client behind every git request: counts requests, gives each one a deadline (body included), and
// cuts it short when the pass it belongs to is abandoned. It brings its own connection agents: Node 20's
// global agents carry a 5 s socket timeout, which isomorphic-git's client turns into "Request timed out"
// whenever a server is silent for 5 s, so a forge whose hooks run longer failed every push.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { HttpClient } from 'isomorphic-git';
import { deadlineSignal } from '../runtime/deadline-signal.js';

interface GitHttpClientOptions {
  /** Deadline of one request, from sending it to the end of the answer's body. */
  timeoutMs: number;
  /** The signal of the work in flight (e.g. the pass), read at each request; its abort ends the request. */
  signal?: () => AbortSignal | undefined;
  /** How long a pooled connection may stay idle (default 4 s, below Node servers' 5 s). */
  idleSocketMs?: number;
  /** Called once per request, e.g. to count round trips. */
  onRequest?: () => void;
}

// Below the idle timeout of common servers (Node's 5 s, nginx's 75 s), so a pooled connection is rarely
// reused just as the server closes it.
const idleSocketMs = 4_000;

/**
 * A keep-alive agent whose timeout applies to idle pooled connections only. Node's own `timeout` option is
 * a socket timeout: it also fires while a request waits for its answer, which is what cut pushes at 5 s.
 * The idle timer alone is not enough: it fires only when the event loop turns, and a pass that writes a
 * hundred commits keeps it busy for seconds, after which its push took a connection the server had closed
 * meanwhile (EPIPE, every retry alike: 100 steps at 5,000 Canaries under load). So each request first
 * closes the pooled connections idle for too long, by the clock (`dropStale`).
 */
function idleOnlyTimeout<A extends HttpAgent>(agent: A, idleMs: number): { agent: A; dropStale: () => void } {
  const idleSince = new WeakMap<Socket, number>();
  const keepSocketAlive = agent.keepSocketAlive.bind(agent);
  const reuseSocket = agent.reuseSocket.bind(agent);
  agent.keepSocketAlive = (socket: Socket) => {
    const keep = keepSocketAlive(socket);
    socket.setTimeout(idleMs);
    idleSince.set(socket, performance.now());
    return keep;
  };
  agent.reuseSocket = (socket, request) => {
    (socket as Socket).setTimeout(0);
    reuseSocket(socket, request);
  };
  const dropStale = () => {
    const now = performance.now();
    for (const sockets of Object.values(agent.freeSockets)) {
      // The oldest come first, which is where the agent passes over destroyed ones.
      for (const socket of sockets ?? []) {
        if (now - (idleSince.get(socket) ?? now) >= idleMs) socket.destroy();
      }
    }
  };
  return { agent, dropStale };
}

export function gitHttpClient(inner: HttpClient, options: GitHttpClientOptions): HttpClient {
  const idleMs = options.idleSocketMs ?? idleSocketMs;
  const agents = {
    http: idleOnlyTimeout(new HttpAgent({ keepAlive: true }), idleMs),
    https: idleOnlyTimeout(new HttpsAgent({ keepAlive: true }), idleMs),
  };
  return {
    request(request) {
      options.onRequest?.();
      // isomorphic-git's Node client has no deadline of its own; a server that never answers would
      // otherwise hold the reconcile forever. The abort surfaces as ABORT_ERR, a transient error.
      const signal = deadlineSignal(options.timeoutMs, request.signal, options.signal?.());
      const { agent, dropStale } = new URL(request.url).protocol === 'https:' ? agents.https : agents.http;
      dropStale();
      return inner.request({ ...request, agent, signal });
    },
  };
}
