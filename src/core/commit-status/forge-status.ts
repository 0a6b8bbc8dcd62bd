// Commit statuses on the commit that started a release, as each forge's REST API documents them: the state
// a transition means (pending while the release runs, success at promotion, failure at rollback), a
// one-line description, and the request that sets it on GitHub, GitLab or Gitea. Pure: the shell sends it.
import { describeTransition, type CommittedTransition } from '../alerts/committed-transition.js';

export const FORGES = ['github', 'gitlab', 'gitea'] as const;
export type Forge = (typeof FORGES)[number];

type ReleaseState = 'pending' | 'success' | 'failure';

interface ReleaseStatus {
  state: ReleaseState;
  /** One line; the forges cut it (GitHub at 140 characters). */
  description: string;
  /** `gitcanary/<namespace>/<canary>`. */
  context: string;
}

interface ForgeRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a transition means for its release's commit, or undefined when it is not a release step. */
export function releaseStatus(transition: CommittedTransition): ReleaseStatus | undefined {
  const context = `gitcanary/${transition.canary}`;
  const step = describeTransition(transition);
  const at = `weight ${transition.weight}%`;
  switch (transition.kind) {
    case 'promoted':
      return { state: 'success', description: oneLine(`promoted: ${step}`), context };
    case 'rolled-back': {
      const failed = transition.checks.filter((c) => !c.passed).map((c) => `${c.name}=${c.value}`);
      return {
        state: 'failure',
        description: oneLine(`rolled back${failed.length > 0 ? `: ${failed.join(', ')}` : ''}`),
        context,
      };
    }
    case 'new-revision':
    case 'waiting-confirmation':
    case 'step':
    case 'check-failed':
    case 'waiting-promotion':
    case 'promoting':
    case 'finalising':
      return { state: 'pending', description: oneLine(`${transition.phase} at ${at}: ${step}`), context };
    default:
      return undefined;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= 140 ? line : `${line.slice(0, 139)}…`;
}

/**
 * The API root a forge serves for the repository's host: GitHub's own for github.com, else GitHub
 * Enterprise's `/api/v3`; GitLab's `/api/v4`; Gitea's (and Forgejo's) `/api/v1`.
 */
export function defaultApiUrl(forge: Forge, repoUrl: string): string {
  const { protocol, host } = new URL(repoUrl);
  const origin = `${protocol}//${host}`;
  switch (forge) {
    case 'github':
      return host === 'github.com' ? 'https://api.github.com' : `${origin}/api/v3`;
    case 'gitlab':
      return `${origin}/api/v4`;
    case 'gitea':
      return `${origin}/api/v1`;
  }
}

/** `https://host/team/deploy.git` → `team/deploy` (GitLab groups nest: `a/b/deploy`). */
export function repositoryPath(repoUrl: string): string {
  return new URL(repoUrl).pathname.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
}

export function forgeStatusRequest(
  forge: Forge,
  apiUrl: string,
  repository: string,
  sha: string,
  status: ReleaseStatus,
  token: string,
  targetUrl?: string,
): ForgeRequest {
  const api = apiUrl.replace(/\/+$/, '');
  const json = { 'Content-Type': 'application/json' };
  switch (forge) {
    case 'github':
      // POST /repos/{owner}/{repo}/statuses/{sha}: state pending|success|failure|error.
      return {
        url: `${api}/repos/${repository}/statuses/${sha}`,
        headers: {
          ...json,
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${token}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': 'gitcanary',
        },
        body: JSON.stringify({
          state: status.state,
          ...(targetUrl ? { target_url: targetUrl } : {}),
          description: status.description,
          context: status.context,
        }),
      };
    case 'gitea':
      // POST /repos/{owner}/{repo}/statuses/{sha}: state pending|success|error|failure|warning.
      return {
        url: `${api}/repos/${repository}/statuses/${sha}`,
        headers: { ...json, Authorization: `token ${token}` },
        body: JSON.stringify({
          state: status.state,
          ...(targetUrl ? { target_url: targetUrl } : {}),
          description: status.description,
          context: status.context,
        }),
      };
    case 'gitlab':
      // POST /projects/:id/statuses/:sha, the project by its URL-encoded path; state
      // pending|running|success|failed|canceled, and the context is called `name`. A release under way is
      // `running`: GitLab only lets a status go pending → running → success|failed.
      return {
        url: `${api}/projects/${encodeURIComponent(repository)}/statuses/${sha}`,
        headers: { ...json, 'PRIVATE-TOKEN': token },
        body: JSON.stringify({
          state: { pending: 'running', success: 'success', failure: 'failed' }[status.state],
          name: status.context,
          description: status.description,
          ...(targetUrl ? { target_url: targetUrl } : {}),
        }),
      };
  }
}
