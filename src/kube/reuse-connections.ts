// client-node 1.x builds a new https.Agent for every request, so every GET and every apply opens a new
// TCP connection and pays a TLS handshake (about 5 ms on loopback, more across a network). This hands each
// request one keep-alive agent per TLS identity instead, the way kubectl and client-go reuse connections.
import { Agent, type AgentOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

// What decides which server a connection trusts and which client it presents.
const tlsOptions = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const satisfies readonly (keyof AgentOptions)[];

/** A configuration whose API clients reuse connections: the kind of copy reuseConnections makes. */
class ReusingKubeConfig extends KubeConfig {}

/**
 * A copy of `kubeConfig` whose API clients reuse connections; the original is left as it was. Given such a
 * copy, it returns it as it is, so a Cluster and a LiveCache made from one copy share their connections.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  if (kubeConfig instanceof ReusingKubeConfig) return kubeConfig;
  const copy = Object.assign(new ReusingKubeConfig(), kubeConfig);
  // A few at most: an exec plugin that rotates the client certificate gets a new agent for the new one.
  const agents: Agent[] = [];
  const authenticate = copy.applySecurityAuthentication.bind(copy);
  copy.applySecurityAuthentication = async (context) => {
    await authenticate(context);
    const fresh = context.getAgent();
    // Proxy agents and plain http keep their own behaviour.
    if (!(fresh instanceof Agent) || fresh.constructor !== Agent) return;
    let shared = agents.find((agent) => sameTls(agent.options, fresh.options));
    if (!shared) {
      shared = new Agent({ ...fresh.options, keepAlive: true });
      agents.unshift(shared);
      // Older identities are let go; their idle connections close when the server times them out.
      agents.splice(4);
    }
    context.setAgent(shared);
  };
  return copy;
}

function sameTls(a: AgentOptions, b: AgentOptions): boolean {
  return tlsOptions.every((name) => {
    const [x, y] = [a[name], b[name]];
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y);
    if (Array.isArray(x) && Array.isArray(y)) return JSON.stringify(x) === JSON.stringify(y);
    return x === y;
  });
}
