// A smart-HTTP service request made by hand (send-pack.ts pushes, upload-pack.ts fetches): one POST to
// `<url>/git-receive-pack` or `<url>/git-upload-pack`, its answer read whole.
import git from 'isomorphic-git';
import type { RepositoryContext } from './repository-context.js';

export type GitService = 'git-receive-pack' | 'git-upload-pack';

/** Posts `body` (pkt-lines, and a pack) to `service`; its answer, or isomorphic-git's HttpError if not 200. */
export async function postServiceRequest(
  ctx: RepositoryContext,
  service: GitService,
  body: Buffer[],
  headers: Record<string, string> = {},
): Promise<Buffer> {
  const response = await ctx.http.request({
    url: `${ctx.url.replace(/\/+$/, '')}/${service}`,
    method: 'POST',
    headers: {
      ...ctx.headers(),
      'content-type': `application/x-${service}-request`,
      accept: `application/x-${service}-result`,
      ...headers,
    },
    // An array, as isomorphic-git itself passes bodies (typed as an iterator): its Node client then sends
    // one buffer with a Content-Length, which some servers require.
    body: body as unknown as AsyncIterableIterator<Uint8Array>,
  });
  const chunks: Uint8Array[] = [];
  if (response.body) for await (const chunk of response.body) chunks.push(chunk);
  const answer = Buffer.concat(chunks);
  if (response.statusCode !== 200) {
    // Classified by classifyGitError (errors.ts) as isomorphic-git's own requests are.
    throw new git.Errors.HttpError(response.statusCode, response.statusMessage, answer.toString('utf8'));
  }
  return answer;
}
