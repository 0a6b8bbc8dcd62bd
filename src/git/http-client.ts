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
  /** Called once per request, e.g. to count round trips. */
  onRequest?: () => void;
}

// Below the idle timeout of common servers (Node's 5 s, nginx's 75 s), so a pooled connection is rarely
// reused just as the server closes it.
const idleSocketMs = 4_000;

/**
 * A keep-alive agent whose timeout applies to idle pooled connections only. Node's own `timeout` option is
 * a socket timeout: it also fires while a request waits for its answer, which is what cut pushes at 5 s.
 */
function idleOnlyTimeout<A extends HttpAgent>(agent: A): A {
  const keepSocketAlive = agent.keepSocketAlive.bind(agent);
  const reuseSocket = agent.reuseSocket.bind(agent);
  agent.keepSocketAlive = (socket: Socket) => {
    const keep = keepSocketAlive(socket);
    socket.setTimeout(idleSocketMs);
    return keep;
  };
  agent.reuseSocket = (socket, request) => {
    (socket as Socket).setTimeout(0);
    reuseSocket(socket, request);
  };
  return agent;
}

export function gitHttpClient(inner: HttpClient, options: GitHttpClientOptions): HttpClient {
  const agents = {
    http: idleOnlyTimeout(new HttpAgent({ keepAlive: true })),
    https: idleOnlyTimeout(new HttpsAgent({ keepAlive: true })),
  };
  return {
    request(request) {
      options.onRequest?.();
      // isomorphic-git's Node client has no deadline of its own; a server that never answers would
      // otherwise hold the reconcile forever. The abort surfaces as ABORT_ERR, a transient error.
      const signal = deadlineSignal(options.timeoutMs, request.signal, options.signal?.());
      const agent = new URL(request.url).protocol === 'https:' ? agents.https : agents.http;
      return inner.request({ ...request, agent, signal });
    },
  };
}
