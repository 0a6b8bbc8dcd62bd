// The recent history of a branch, for `gitcanary status`'s weight timeline: a throwaway shallow clone of
// the last `depth` commits (no checkout), read for commit messages only. The reconciler's own store stays
// at depth 1 and is never deepened by this.
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { classifyGitError } from './errors.js';

export interface HistoryCommit {
  oid: string;
  message: string;
  /** Committer time, seconds since the epoch. */
  timestamp: number;
}

interface ReadHistoryOptions {
  url: string;
  branch: string;
  auth?: { username: string; password: string };
  /** How many commits back; the timeline of a long release needs one per step. */
  depth: number;
}

/** Newest first. */
export async function readHistory(options: ReadHistoryOptions): Promise<HistoryCommit[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-history-'));
  const { auth } = options;
  try {
    await git.clone({
      fs,
      http,
      dir,
      url: options.url,
      ref: options.branch,
      singleBranch: true,
      depth: options.depth,
      noCheckout: true,
      noTags: true,
      ...(auth ? { onAuth: () => auth } : {}),
    });
    const log = await git.log({ fs, dir, ref: options.branch, depth: options.depth });
    return log.map((entry) => ({
      oid: entry.oid,
      message: entry.commit.message,
      timestamp: entry.commit.committer.timestamp,
    }));
  } catch (err) {
    throw classifyGitError(err, `${new URL(options.url).host} (reading history)`) ?? err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
