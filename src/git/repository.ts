// The repository edge: one remote branch over HTTP(S) and a local bare git directory used only as an
// object store (no working tree, no index). Each verb lives in its own module; this one wires them to a
// shared context (one isomorphic-git cache, one counting HTTP client, the round-trip counters).
import fs from 'node:fs';
import git, { type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { forgetStoreContent } from './compact-store.js';
import { GitConfigError, GitTransientError, PushConflictError } from './errors.js';
import { fetchHead } from './fetch-head.js';
import { gitHttpClient } from './http-client.js';
import { pushCommit } from './push-commit.js';
import { ObjectStore } from './object-reader.js';
import {
  listChanges,
  listFiles,
  readBlobText,
  type TreeChange,
  type ReadBlobOptions,
  type RepositoryFile,
} from './read-tree.js';
import { emptyGitStats, type GitStats, type RepositoryContext } from './repository-context.js';
import { readRemoteHead } from './remote-head.js';
import { emptyStore, inspectStore } from './store-health.js';
import { writeCommit, type CommitInput } from './write-commit.js';
import {
  readCommitRecord,
  readFileAt,
  readRemoteRef,
  updateRemoteRef,
  type CommitRecord,
} from './notification-refs.js';

export type { CommitInput, FileChange } from './write-commit.js';
export type { ReadBlobOptions, RepositoryFile, TreeChange } from './read-tree.js';
export type { CommitRecord } from './notification-refs.js';

export interface RepositoryOptions {
  /** http:// or https:// URL of the repository. */
  url: string;
  branch: string;
  /** Local git directory (bare); created when missing, reused otherwise. */
  dir: string;
  auth?: { username: string; password: string };
  /** Deadline of one HTTP request, body included; a large first fetch needs the most. */
  timeoutMs?: number;
  /**
   * The signal of the work in flight, read at each request (e.g. the reconcile pass, see pass-scope.ts):
   * once it aborts, requests in flight end and new ones fail at once.
   */
  signal?: () => AbortSignal | undefined;
  /** Packs kept before a fetch empties the store first (each fetch adds one; see compact-store.ts). */
  maxPacks?: number;
  /** Replaces the Node HTTP client, e.g. to observe or delay requests in tests. */
  http?: HttpClient;
  /** Told when the store was found damaged and emptied (at open, or after a failure), e.g. to log it. */
  onRepair?: (problems: string[]) => void;
}

export interface Repository {
  readonly branch: string;
  /** The URL without credentials, for messages and logs. */
  readonly displayUrl: string;
  readonly stats: Readonly<GitStats>;
  /** The branch's commit on the server: one HTTP request. GitConfigError when the branch does not exist. */
  remoteHead(): Promise<string>;
  /** The last head fetched or pushed, without asking the server; undefined before the first fetch. */
  localHead(): Promise<string | undefined>;
  /**
   * Shallow single-branch fetch; returns the fetched head and makes it the local head. `head`: where the
   * caller just found the branch (a poll's ref listing), so that the fetch does not ask again.
   */
  fetch(head?: string): Promise<string>;
  /** Blob paths (POSIX, recursive) and oids of a commit's tree, without reading any blob. */
  listFiles(commitOid: string, filter?: (path: string) => boolean): Promise<RepositoryFile[]>;
  /**
   * The files whose blob differs between two commits (read-tree.ts `listChanges`); undefined when the local
   * store no longer holds the first.
   */
  listChanges(
    fromCommit: string,
    toCommit: string,
    filter?: (path: string) => boolean,
  ): Promise<TreeChange[] | undefined>;
  /** The blob as UTF-8 text; BlobTooLargeError when it is over `options.maxBytes`. */
  readBlob(oid: string, options?: ReadBlobOptions): Promise<string>;
  /** Writes a commit on `parent` changing only `changes`; deterministic, no network. */
  commit(input: CommitInput): Promise<string>;
  /** Fast-forwards the remote branch to `commitOid`, never forcing; PushConflictError when it moved. */
  push(commitOid: string): Promise<void>;
  /** Where another ref (the notification mark) points on the server; undefined when it does not exist. */
  readRef(ref: string): Promise<string | undefined>;
  /** Moves that ref from `old` to `next` by compare-and-swap; PushConflictError when it was not at `old`. */
  updateRef(ref: string, old: string | undefined, next: string): Promise<void>;
  /** A commit of the local store; undefined when the (shallow) store does not hold it. */
  readCommit(oid: string): Promise<CommitRecord | undefined>;
  /** A file of a commit in the local store; undefined when either is missing. */
  readFileAt(commitOid: string, path: string): Promise<string | undefined>;
}

// Long enough for a large first fetch, or a forge whose hooks run for a while before it answers a push.
export const defaultTimeoutMs = 60_000;
// Fetches after the first bring only what changed (fetch-head.ts), so packs are small; many of them only
// cost a lookup each per object read.
const defaultMaxPacks = 32;

export async function openRepository(options: RepositoryOptions): Promise<Repository> {
  const { url, branch, dir } = options;
  const displayUrl = checkUrl(url);
  const localRef = `refs/heads/${branch}`;
  if (!isBranchName(branch)) {
    throw new GitConfigError(`${displayUrl}: invalid branch name ${JSON.stringify(branch)}`);
  }
  const stats = emptyGitStats();
  await initStore(dir, branch);

  const authorization = options.auth
    ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`
    : undefined;
  const ctx: RepositoryContext = {
    gitdir: dir,
    url,
    displayUrl,
    branch,
    localRef,
    remoteRef: localRef,
    cache: {},
    objects: new ObjectStore(dir),
    maxPacks: options.maxPacks ?? defaultMaxPacks,
    written: new Map(),
    http: gitHttpClient(options.http ?? nodeHttp, {
      timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      onRequest: () => (stats.httpRequests += 1),
    }),
    stats,
    // Sent up front, as git does with stored credentials: answering a 401 challenge would double every
    // round trip, and the poll is meant to be one request.
    headers: (): Record<string, string> => (authorization ? { Authorization: authorization } : {}),
  };

  /** Checks the store and empties it when damaged; the next poll then fetches the branch again. */
  const repair = async (): Promise<void> => {
    const problems = await inspectStore(dir, localRef);
    if (problems.length === 0) return;
    await emptyStore(dir);
    forgetStoreContent(ctx);
    ctx.listing = undefined;
    stats.repairs += 1;
    options.onRepair?.(problems);
  };
  await repair();
  // A failure of the remote (down, slow, moved on) says nothing about the store; anything else may be it.
  const checked =
    <A extends unknown[], T>(operation: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      try {
        return await operation(...args);
      } catch (err) {
        if (!(err instanceof GitTransientError || err instanceof PushConflictError)) await repair();
        throw err;
      }
    };

  return {
    branch,
    displayUrl,
    stats,
    remoteHead: () => readRemoteHead(ctx),
    readRef: (ref) => readRemoteRef(ctx, ref),
    updateRef: (ref, old, next) => updateRemoteRef(ctx, ref, old, next),
    readCommit: (oid) => readCommitRecord(ctx, oid),
    readFileAt: (commitOid, path) => readFileAt(ctx, commitOid, path),
    localHead: checked(() => readLocalHead(ctx)),
    fetch: checked((head?: string) => fetchHead(ctx, head)),
    listFiles: checked((commitOid: string, filter?: (path: string) => boolean) =>
      listFiles(ctx, commitOid, filter),
    ),
    listChanges: checked((fromCommit: string, toCommit: string, filter?: (path: string) => boolean) =>
      listChanges(ctx, fromCommit, toCommit, filter),
    ),
    readBlob: checked((oid: string, options?: ReadBlobOptions) => readBlobText(ctx, oid, options)),
    commit: checked((input: CommitInput) => writeCommit(ctx, input)),
    push: checked((commitOid: string) => pushCommit(ctx, commitOid)),
  };
}

async function initStore(dir: string, branch: string): Promise<void> {
  await git.init({ fs, dir, bare: true, defaultBranch: branch });
  // fetch writes refs/remotes/origin/<branch> through this refspec and fails without one; the URL itself is
  // passed on every call rather than stored, so credentials in it never reach the disk.
  await git.setConfig({
    fs,
    gitdir: dir,
    path: 'remote.origin.fetch',
    value: `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
  });
}

async function readLocalHead(ctx: RepositoryContext): Promise<string | undefined> {
  try {
    return await git.resolveRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef });
  } catch (err) {
    if (err instanceof git.Errors.NotFoundError) return undefined;
    throw err;
  }
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new GitConfigError('git: the repository URL is not a URL', { cause: err });
  }
  parsed.username = '';
  parsed.password = '';
  const displayUrl = parsed.toString();
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new GitConfigError(`${displayUrl}: only http(s) repository URLs are supported`);
  }
  return displayUrl;
}

// The rules of `git check-ref-format --branch`, so a typo fails at start-up, not at the first push.
const forbiddenInBranch = /[~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.$|\.lock(\/|$)|(^|\/)\./;

function isBranchName(branch: string): boolean {
  return (
    branch.length > 0 &&
    branch !== '@' &&
    !branch.startsWith('-') &&
    !forbiddenInBranch.test(branch) &&
    ![...branch].some((ch) => ch <= ' ' || ch === '\x7f')
  );
}
