// Brings the branch's newest commit and its tree into the local store: depth 1, one branch, no tags.
// The previous local head is offered as a "have"; git upload-pack still sends the whole snapshot for a
// shallow fetch without thin-pack, which is why the store is compacted (compact-store.ts).
import fs from 'node:fs';
import git from 'isomorphic-git';
import { compactStoreIfFull } from './compact-store.js';
import { classifyGitError, GitConfigError } from './errors.js';
import type { RepositoryContext } from './repository.js';

export async function fetchHead(ctx: RepositoryContext): Promise<string> {
  await compactStoreIfFull(ctx);
  ctx.stats.fetches += 1;
  let fetched: string | null;
  try {
    const result = await git.fetch({
      fs,
      http: ctx.http,
      gitdir: ctx.gitdir,
      cache: ctx.cache,
      url: ctx.url,
      headers: ctx.headers(),
      // `ref` names the local branch whose oid becomes the "have"; `remoteRef` the branch to fetch.
      ref: ctx.branch,
      remoteRef: ctx.remoteRef,
      singleBranch: true,
      depth: 1,
      tags: false,
    });
    fetched = result.fetchHead;
  } catch (err) {
    throw classifyGitError(err, ctx.displayUrl) ?? err;
  }
  if (!fetched) throw new GitConfigError(`${ctx.displayUrl}: branch ${ctx.branch} does not exist`);
  // Moved with writeRef, not merge: after a shallow fetch there is no history to merge through.
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef, value: fetched, force: true });
  return fetched;
}
