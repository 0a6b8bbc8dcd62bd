// Turns committed transitions into alerts: for each Canary's `analysis.alerts` that hears the transition's
// severity, one POST of the provider's payload to the address from git or from its mounted Secret.
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { alertRequest } from '../core/alerts/alert-payload.js';
import { severityOf, type CommittedTransition } from '../core/alerts/committed-transition.js';
import { hears } from '../core/alerts/parse-alerts.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { nodeHttpTransport, type HttpTransport } from '../analysis/http-transport.js';
import { alertDestination } from './alert-credentials.js';
import { checkAnswer, type Delivery } from './delivery.js';

interface AlertSinkOptions {
  /** The Canary as the repository now defines it: its alerts and providers. */
  canary: (key: string) => ResolvedCanary | undefined;
  credentialsDir?: string;
  commitUrl?: (oid: string) => string;
  transport?: HttpTransport;
  timeoutMs?: number;
}

export function alertSink(options: AlertSinkOptions) {
  const transport = options.transport ?? nodeHttpTransport;
  return (transitions: readonly CommittedTransition[]): Delivery[] =>
    transitions.flatMap((transition) => {
      const severity = severityOf(transition.kind);
      const alerts = severity ? (options.canary(transition.canary)?.alerts ?? []) : [];
      return alerts
        .filter(({ alert }) => severity && hears(alert.severity, severity))
        .map(({ provider }): Delivery => ({
          kind: 'alert',
          target: `${provider.type} ${provider.namespace}/${provider.name}`,
          canary: transition.canary,
          commit: transition.oid,
          send: async () => {
            const destination = await alertDestination(provider, options.credentialsDir);
            const commitUrl = options.commitUrl?.(transition.oid);
            const request = alertRequest(
              provider,
              destination.address,
              { transition, severity: severity ?? 'info', ...(commitUrl ? { commitUrl } : {}) },
              destination.token,
            );
            const agent = destination.proxy ? proxyAgent(destination.proxy, request.url) : undefined;
            checkAnswer(
              await transport({
                method: 'POST',
                url: request.url,
                headers: request.headers,
                body: request.body,
                timeoutMs: options.timeoutMs ?? 10_000,
                ...(agent ? { agent } : {}),
              }),
            );
          },
        }));
    });
}

/** A CONNECT tunnel through the provider's proxy, for an http or https address alike. */
function proxyAgent(proxy: string, address: string) {
  return new URL(address).protocol === 'https:'
    ? new HttpsProxyAgent({ proxy, keepAlive: false })
    : new HttpProxyAgent({ proxy, keepAlive: false });
}
