// A throwaway shallow clone of the branch's last `depth` commits (no checkout), for the rare reads the
// reconciler's own store cannot answer because it is shallow: after a restart, the commits a notification
// must still tell of, or the commit that started a release. Removed by `dispose`.
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { classifyGitError } from './errors.js';
import type { CommitRecord } from './notification-refs.js';

export interface HistoryClone {
  readCommit(oid: string): Promise<CommitRecord | undefined>;
  readFileAt(commit: string, path: string): Promise<string | undefined>;
  dispose(): Promise<void>;
}

interface HistoryCloneOptions {
  url: string;
  branch: string;
  auth?: { username: string; password: string };
  depth: number;
}

export async function cloneHistory(options: HistoryCloneOptions): Promise<HistoryClone> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-history-'));
  const cache = {};
  const { auth } = options;
  try {
    await git.clone({
      fs,
      http,
      dir,
      cache,
      url: options.url,
      ref: options.branch,
      singleBranch: true,
      depth: options.depth,
      noCheckout: true,
      noTags: true,
      ...(auth ? { onAuth: () => auth } : {}),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw classifyGitError(err, `${new URL(options.url).host} (cloning history)`) ?? err;
  }
  const missing = (err: unknown) => err instanceof git.Errors.NotFoundError;
  return {
    async readCommit(oid) {
      try {
        const { commit } = await git.readCommit({ fs, dir, oid, cache });
        return {
          oid,
          parents: commit.parent,
          message: commit.message,
          timestamp: commit.committer.timestamp,
        };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async readFileAt(commit, path) {
      try {
        const { blob } = await git.readBlob({ fs, dir, oid: commit, filepath: path, cache });
        return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('utf8');
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
