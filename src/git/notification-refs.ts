// What telling people needs from git besides the branch: a second ref on the server, the notification
// mark, moved only by compare-and-swap (the same receive-pack update as a step's push, carrying no objects),
// and reads of older commits and files from the local store, which may lack them (it is shallow).
import fs from 'node:fs';
import git from 'isomorphic-git';
import { classifyGitError } from './errors.js';
import type { RepositoryContext } from './repository-context.js';
import { readCommitInfo } from './read-tree.js';
import { sendPack } from './send-pack.js';

export interface CommitRecord {
  oid: string;
  parents: string[];
  message: string;
  /** Committer time, seconds since the epoch. */
  timestamp: number;
}

const zeroOid = '0'.repeat(40);

/** Where `ref` points on the server, or undefined when it does not exist: one ref listing. */
export async function readRemoteRef(ctx: RepositoryContext, ref: string): Promise<string | undefined> {
  ctx.stats.listServerRefs += 1;
  try {
    const refs = await git.listServerRefs({
      http: ctx.http,
      url: ctx.url,
      headers: ctx.headers(),
      prefix: ref,
      protocolVersion: 1,
    });
    return refs.find((r) => r.ref === ref)?.oid;
  } catch (err) {
    throw classifyGitError(err, `${ctx.displayUrl} (reading ${ref})`) ?? err;
  }
}

/**
 * Moves `ref` on the server from `old` (undefined: it must not exist yet) to `next`, a commit the server
 * already has. PushConflictError when the ref was not at `old`: someone else moved it first.
 */
export async function updateRemoteRef(
  ctx: RepositoryContext,
  ref: string,
  old: string | undefined,
  next: string,
): Promise<void> {
  ctx.stats.pushes += 1;
  try {
    await sendPack(ctx, { old: old ?? zeroOid, new: next, ref }, []);
  } catch (err) {
    throw classifyGitError(err, `${ctx.displayUrl} (updating ${ref})`) ?? err;
  }
}

/** A commit of the local store, or undefined when the store does not hold it (beyond a shallow boundary). */
export async function readCommitRecord(
  ctx: RepositoryContext,
  oid: string,
): Promise<CommitRecord | undefined> {
  try {
    const { commit } = await git.readCommit({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
    return {
      oid,
      parents: commit.parent,
      message: commit.message,
      timestamp: commit.committer.timestamp,
    };
  } catch (err) {
    if (err instanceof git.Errors.NotFoundError) return undefined;
    throw err;
  }
}

/** The text of `path` at `commit`, or undefined when the file or the commit is not in the store. */
export async function readFileAt(
  ctx: RepositoryContext,
  commit: string,
  path: string,
): Promise<string | undefined> {
  try {
    await readCommitInfo(ctx, commit);
    const { blob } = await git.readBlob({
      fs,
      gitdir: ctx.gitdir,
      oid: commit,
      filepath: path,
      cache: ctx.cache,
    });
    return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('utf8');
  } catch (err) {
    if (err instanceof git.Errors.NotFoundError) return undefined;
    throw err;
  }
}
