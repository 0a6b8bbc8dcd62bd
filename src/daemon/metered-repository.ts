// Wraps a Repository so that every operation against the remote (poll, fetch, push) is counted and timed
// for /metrics, without a hook in the reconciler. Local operations (read, commit) pass straight through.
import { PushConflictError } from '../git/errors.js';
import type { Repository } from '../git/repository.js';
import type { DaemonMetrics, GitOperation, GitResult } from './metrics.js';

export function meterRepository(
  repo: Repository,
  metrics: Pick<DaemonMetrics, 'gitOperation' | 'countGitFallbacks'>,
): Repository {
  metrics.countGitFallbacks(() => repo.stats);
  const timed = async <T>(operation: GitOperation, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const requestsBefore = repo.stats.httpRequests;
    let result: GitResult = 'error';
    try {
      const value = await run();
      result = 'success';
      return value;
    } catch (err) {
      if (err instanceof PushConflictError) result = 'conflict';
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.gitOperation(operation, result, seconds, repo.stats.httpRequests - requestsBefore);
    }
  };
  return {
    get branch() {
      return repo.branch;
    },
    get displayUrl() {
      return repo.displayUrl;
    },
    get stats() {
      return repo.stats;
    },
    remoteHead: () => timed('poll', () => repo.remoteHead()),
    localHead: () => repo.localHead(),
    fetch: (head?: string) => timed('fetch', () => repo.fetch(head)),
    listFiles: (commitOid, filter) => repo.listFiles(commitOid, filter),
    listChanges: (fromCommit, toCommit, filter) => repo.listChanges(fromCommit, toCommit, filter),
    readBlob: (oid, options) => repo.readBlob(oid, options),
    commit: (input) => repo.commit(input),
    push: (commitOid) => timed('push', () => repo.push(commitOid)),
    readRef: (ref) => timed('poll', () => repo.readRef(ref)),
    updateRef: (ref, old, next) => timed('push', () => repo.updateRef(ref, old, next)),
    readCommit: (oid) => repo.readCommit(oid),
    readFileAt: (commitOid, path) => repo.readFileAt(commitOid, path),
  };
}
