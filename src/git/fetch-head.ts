// Brings the branch's newest commit and its tree into the local store, one branch, no tags. The first
// fetch (and the first after the store was emptied) is shallow, depth 1: the snapshot and no history.
// Later fetches offer the local head as a "have" and ask for a bounded depth, so the server sends only
// what changed since: git upload-pack answers a depth-1 fetch with the whole snapshot whatever the client
// has (without thin-pack, which gitcanary never requests, the old head is outside the new shallow
// boundary and so cannot be used to leave objects out), but a deeper one that still reaches the local head
// leaves out every object reachable from it. The bound keeps the worst case (a local head the server does
// not know, after a history rewrite) to that many commits instead of the whole history.
//
// The fetch itself is upload-pack.ts's: one request in protocol version 2 for the head the poll found, the
// pack indexed by index-pack.ts. A server that does not answer in version 2 is fetched from by
// isomorphic-git (two requests, and its pack indexing), counted in `fetchFallbacks`.
import fs from 'node:fs';
import git from 'isomorphic-git';
import { compactStoreIfFull } from './compact-store.js';
import { classifyGitError, GitConfigError, GitTransientError } from './errors.js';
import { readRemoteHead } from './remote-head.js';
import type { RepositoryContext } from './repository-context.js';
import { FetchAnswerError, fetchPack, ProtocolV2Unsupported } from './upload-pack.js';

/** How far back an incremental fetch may reach for the local head. */
const incrementalFetchDepth = 50;

/**
 * Fetches the branch and makes it the local head; returns it. `head`: where the caller just found the
 * branch (the poll's ref listing), so that the fetch is one request.
 */
export async function fetchHead(ctx: RepositoryContext, head?: string): Promise<string> {
  await compactStoreIfFull(ctx);
  const local = await git.resolveRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef }).catch(() => undefined);
  const want = head ?? (await readRemoteHead(ctx));
  ctx.stats.fetches += 1;
  if (want !== local) {
    try {
      await fetchPack(ctx, {
        want,
        ...(local === undefined ? {} : { have: local }),
        depth: local === undefined ? 1 : incrementalFetchDepth,
      });
    } catch (err) {
      if (err instanceof ProtocolV2Unsupported) return fetchWithIsomorphicGit(ctx, local);
      if (err instanceof FetchAnswerError) {
        throw new GitTransientError(`${ctx.displayUrl} (fetch): ${err.message}`, { cause: err });
      }
      throw classifyGitError(err, `${ctx.displayUrl} (fetch)`) ?? err;
    }
  }
  // Moved with writeRef, not merge: after a shallow fetch there is no history to merge through.
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef, value: want, force: true });
  return want;
}

/** For a server that does not speak protocol version 2: isomorphic-git's fetch (two requests). */
async function fetchWithIsomorphicGit(ctx: RepositoryContext, local: string | undefined): Promise<string> {
  ctx.stats.fetchFallbacks += 1;
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
    throw classifyGitError(err, `${ctx.displayUrl} (fetch)`) ?? err;
  }
  if (!fetched) throw new GitConfigError(`${ctx.displayUrl}: branch ${ctx.branch} does not exist`);
  await git.writeRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef, value: fetched, force: true });
  return fetched;
}
