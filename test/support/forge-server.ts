// A stand-in for the commit-status APIs of GitHub, GitLab and Gitea on loopback, strict about what each
// documents: the path, the auth header, the JSON body and its state names. A request that GitHub, GitLab or
// Gitea would refuse is refused the same way (401, 404, 422, or GitLab's 400 for a repeated state), and
// every accepted status is recorded.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedStatus {
  forge: 'github' | 'gitlab' | 'gitea';
  repository: string;
  sha: string;
  state: string;
  context: string;
  description: string;
  targetUrl?: string;
}

export interface ForgeServer {
  /** API roots: `${url}` for GitHub, `${url}/api/v4` for GitLab, `${url}/api/v1` for Gitea. */
  url: string;
  statuses: RecordedStatus[];
  refused: { path: string; status: number; reason: string }[];
  stop(): Promise<void>;
}

const states = {
  github: ['error', 'failure', 'pending', 'success'],
  gitlab: ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'],
  gitea: ['pending', 'success', 'error', 'failure', 'warning'],
};

export async function startForgeServer(token: string): Promise<ForgeServer> {
  const statuses: RecordedStatus[] = [];
  const refused: ForgeServer['refused'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const refuse = (status: number, reason: string) => {
        refused.push({ path, status, reason });
        res
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ message: reason }));
      };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return refuse(400, 'Problems parsing JSON');
      }
      if (req.method !== 'POST') return refuse(404, 'Not Found');
      if (req.headers['content-type'] !== 'application/json') return refuse(415, 'Unsupported Media Type');
      let match: RegExpExecArray | null;
      let forge: RecordedStatus['forge'];
      let repository: string;
      if ((match = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path))) {
        forge = 'gitlab';
        repository = decodeURIComponent(match[1] ?? '');
        if (req.headers['private-token'] !== token) return refuse(401, '401 Unauthorized');
      } else if ((match = /^\/api\/v1\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path))) {
        forge = 'gitea';
        repository = match[1] ?? '';
        if (req.headers.authorization !== `token ${token}`) return refuse(401, 'token is required');
      } else if ((match = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path))) {
        forge = 'github';
        repository = match[1] ?? '';
        if (req.headers.authorization !== `Bearer ${token}`) return refuse(401, 'Bad credentials');
        if (req.headers.accept !== 'application/vnd.github+json') return refuse(415, 'Accept');
      } else return refuse(404, 'Not Found');
      const sha = match[2] ?? '';
      const context = forge === 'gitlab' ? body.name : body.context;
      const { state, description } = body;
      const targetUrl = body.target_url;
      if (typeof state !== 'string' || !states[forge].includes(state))
        return refuse(422, `state: ${String(state)}`);
      if (typeof context !== 'string' || context === '') return refuse(422, 'context');
      if (typeof description !== 'string' || description.length > 140) return refuse(422, 'description');
      if (targetUrl !== undefined && typeof targetUrl !== 'string') return refuse(422, 'target_url');
      const last = statuses.filter((s) => s.forge === forge && s.sha === sha && s.context === context).at(-1);
      if (forge === 'gitlab' && last?.state === state) {
        return refuse(400, `Cannot transition status via :run from :${state}`);
      }
      statuses.push({
        forge,
        repository,
        sha,
        state,
        context,
        description,
        ...(targetUrl ? { targetUrl } : {}),
      });
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ state, context }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statuses,
    refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
