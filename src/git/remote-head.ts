// Asks the server where the branch is, without fetching anything: the cheap half of a poll, so an
// unchanged repository costs one HTTP request.
import git from 'isomorphic-git';
import { classifyGitError, GitConfigError } from './errors.js';
import type { RepositoryContext } from './repository-context.js';

export async function readRemoteHead(ctx: RepositoryContext): Promise<string> {
  ctx.stats.listServerRefs += 1;
  let refs: Awaited<ReturnType<typeof git.listServerRefs>>;
  try {
    refs = await git.listServerRefs({
      http: ctx.http,
      url: ctx.url,
      headers: ctx.headers(),
      prefix: ctx.remoteRef,
      // Version 1 answers in the GET itself; version 2 needs a second request for ls-refs. The v1 answer
      // lists every ref, which only matters for repositories with very many refs.
      protocolVersion: 1,
    });
  } catch (err) {
    throw classifyGitError(err, `${ctx.displayUrl} (ref listing)`) ?? err;
  }
  // The prefix also matches e.g. refs/heads/main-old.
  const head = refs.find((ref) => ref.ref === ctx.remoteRef);
  if (!head) throw new GitConfigError(`${ctx.displayUrl}: branch ${ctx.branch} does not exist`);
  return head.oid;
}
