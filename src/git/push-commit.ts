// Publishes a commit as the branch's new head. The push is the compare-and-swap of gitcanary: it is never
// forced, so when another writer got there first it fails and the caller re-plans on their commit.
import fs from 'node:fs';
import git from 'isomorphic-git';
import { classifyGitError } from './errors.js';
import type { RepositoryContext } from './repository.js';

export async function pushCommit(ctx: RepositoryContext, commitOid: string): Promise<void> {
  // isomorphic-git pushes a local ref, not an oid. A ref of its own per commit keeps the local branch at
  // the last head the server accepted until this push succeeds.
  const outgoing = `refs/gitcanary/outgoing/${commitOid}`;
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: outgoing, value: commitOid, force: true });
  ctx.stats.pushes += 1;
  try {
    await git.push({
      fs,
      http: ctx.http,
      gitdir: ctx.gitdir,
      cache: ctx.cache,
      url: ctx.url,
      headers: ctx.headers(),
      ref: outgoing,
      remoteRef: ctx.remoteRef,
      force: false,
    });
  } catch (err) {
    throw classifyGitError(err, ctx.displayUrl) ?? err;
  } finally {
    await git.deleteRef({ fs, gitdir: ctx.gitdir, ref: outgoing });
  }
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef, value: commitOid, force: true });
}
