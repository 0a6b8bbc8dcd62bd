// Brings the branch's newest commit and its tree into the local store, one branch, no tags. The first
// fetch (and the first after the store was emptied) is shallow, depth 1: the snapshot and no history.
// Later fetches offer the local head as a "have" and ask for a bounded depth, so the server sends only
// what changed since: git upload-pack answers a depth-1 fetch with the whole snapshot whatever the client
// has (without thin-pack, which isomorphic-git never requests, the old head is outside the new shallow
// boundary and so cannot be used to leave objects out), but a deeper one that still reaches the local head
// leaves out every object reachable from it. The bound keeps the worst case (a local head the server does
// not know, after a history rewrite) to that many commits instead of the whole history.
import fs from 'node:fs';
import git from 'isomorphic-git';
import { compactStoreIfFull } from './compact-store.js';
import { classifyGitError, GitConfigError } from './errors.js';
import type { RepositoryContext } from './repository-context.js';

/** How far back an incremental fetch may reach for the local head. */
const incrementalFetchDepth = 50;

export async function fetchHead(ctx: RepositoryContext): Promise<string> {
  await compactStoreIfFull(ctx);
  const local = await git.resolveRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef }).catch(() => undefined);
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
      depth: local === undefined ? 1 : incrementalFetchDepth,
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
