// Publishes a commit as the branch's new head. The push is the compare-and-swap of gitcanary: it is never
// forced, so when another writer got there first it fails and the caller re-plans on their commit.
// Commits built on the local head (all of gitcanary's) go out by send-pack.ts: one request carrying only
// the objects they added. Anything else takes isomorphic-git's general push.
import fs from 'node:fs';
import git from 'isomorphic-git';
import { classifyGitError } from './errors.js';
import type { RepositoryContext } from './repository-context.js';
import { forgetWritten, objectsSince, sendPack } from './send-pack.js';

export async function pushCommit(ctx: RepositoryContext, commitOid: string): Promise<void> {
  const base = await git.resolveRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef }).catch(() => undefined);
  const objects = base === undefined ? undefined : await objectsSince(ctx, commitOid, base);
  ctx.stats.pushes += 1;
  try {
    if (base !== undefined && objects !== undefined) {
      await sendPack(ctx, { old: base, new: commitOid }, objects);
    } else {
      await generalPush(ctx, commitOid);
    }
  } catch (err) {
    throw classifyGitError(err, `${ctx.displayUrl} (push)`) ?? err;
  } finally {
    // On the server now, or refused and re-planned on another head: either way not sent again.
    if (base !== undefined) forgetWritten(ctx, commitOid, base);
  }
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef, value: commitOid, force: true });
}

async function generalPush(ctx: RepositoryContext, commitOid: string): Promise<void> {
  // isomorphic-git pushes a local ref, not an oid. A ref of its own per commit keeps the local branch at
  // the last head the server accepted until this push succeeds.
  const outgoing = `refs/gitcanary/outgoing/${commitOid}`;
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: outgoing, value: commitOid, force: true });
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
  } finally {
    await git.deleteRef({ fs, gitdir: ctx.gitdir, ref: outgoing });
  }
}
