// Turns committed transitions into commit statuses on the commit that started each release, through the
// forge's REST API (--commit-status github|gitlab|gitea). The origin of a release is looked up once and
// remembered; the local store answers it during a run, a shallow clone after a restart.
import type { CommittedTransition } from '../core/alerts/committed-transition.js';
import { forgeStatusRequest, releaseStatus, type Forge } from '../core/commit-status/forge-status.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { nodeHttpTransport, type HttpTransport } from '../analysis/http-transport.js';
import type { HistoryClone } from '../git/history-clone.js';
import { checkAnswer, DeliveryError, type Delivery } from './delivery.js';
import { findReleaseOrigin, type FileSource } from './release-origin.js';

interface CommitStatusOptions {
  forge: Forge;
  apiUrl: string;
  /** `owner/name`, or a GitLab project's full path. */
  repository: string;
  token: string;
  canary: (key: string) => ResolvedCanary | undefined;
  defaultNamespace: string;
  /** The local store. */
  store: FileSource;
  history: () => Promise<HistoryClone>;
  commitUrl?: (oid: string) => string;
  transport?: HttpTransport;
  timeoutMs?: number;
}

/** Releases remembered: a handful of Canaries in motion at a time, each with a few revisions. */
const maxOrigins = 1000;

export function commitStatusSink(options: CommitStatusOptions) {
  const transport = options.transport ?? nodeHttpTransport;
  const origins = new Map<string, string>();

  const originOf = async (transition: CommittedTransition): Promise<string> => {
    const key = `${transition.canary}@${transition.revision}`;
    const known = origins.get(key);
    if (known) return known;
    const resolved = options.canary(transition.canary);
    if (!resolved) throw new DeliveryError('the Canary is no longer in the repository', false);
    const target = {
      file: resolved.target.source.file,
      namespace: resolved.target.namespace,
      name: resolved.target.name,
      defaultNamespace: options.defaultNamespace,
    };
    let result = await findReleaseOrigin(options.store, transition.oid, target, transition.revision);
    if (!result.found && result.incomplete) {
      const clone = await options.history();
      try {
        result = await findReleaseOrigin(clone, transition.oid, target, transition.revision);
      } finally {
        await clone.dispose();
      }
    }
    if (!result.found) throw new DeliveryError('the commit that started the release was not found', false);
    if (origins.size >= maxOrigins) origins.delete(origins.keys().next().value as string);
    origins.set(key, result.oid);
    return result.oid;
  };

  return (transitions: readonly CommittedTransition[]): Delivery[] =>
    transitions.flatMap((transition) => {
      const status = releaseStatus(transition);
      if (!status) return [];
      return [
        {
          kind: 'commit-status' as const,
          target: options.forge,
          canary: transition.canary,
          commit: transition.oid,
          send: async () => {
            const sha = await originOf(transition);
            const targetUrl = options.commitUrl?.(transition.oid);
            const request = forgeStatusRequest(
              options.forge,
              options.apiUrl,
              options.repository,
              sha,
              status,
              options.token,
              targetUrl,
            );
            const response = await transport({
              method: 'POST',
              url: request.url,
              headers: request.headers,
              body: request.body,
              timeoutMs: options.timeoutMs ?? 10_000,
            });
            // GitLab refuses a status equal to the one the commit has (running → running): nothing to do.
            if (
              options.forge === 'gitlab' &&
              response.status === 400 &&
              response.body.includes('Cannot transition status')
            )
              return;
            checkAnswer(response);
          },
        },
      ];
    });
}
