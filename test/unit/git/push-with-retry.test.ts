import { describe, expect, it } from 'vitest';
import { GitConfigError, GitTransientError, PushConflictError } from '../../../src/git/errors.js';
import { backoffDelay, pushWithRetry, type PushWithRetryOptions } from '../../../src/git/push-with-retry.js';

type FakeRepo = PushWithRetryOptions['repo'] & { pushed: string[]; fetched: number };

/** A repository whose server head follows `heads` on each fetch and whose pushes fail as `failures` says. */
function fakeRepo(heads: string[], failures: Array<Error | undefined>): FakeRepo {
  const repo: FakeRepo = {
    branch: 'main',
    displayUrl: 'https://git.example.test/repo.git',
    pushed: [],
    fetched: 0,
    remoteHead: () => Promise.resolve(heads[0] ?? 'none'),
    localHead: () => Promise.resolve(undefined),
    fetch: () => Promise.resolve(heads[Math.min(repo.fetched++, heads.length - 1)] ?? 'none'),
    push(oid) {
      repo.pushed.push(oid);
      const failure = failures.shift();
      return failure ? Promise.reject(failure) : Promise.resolve();
    },
  };
  return repo;
}

const conflict = () => new PushConflictError('moved');

describe('pushWithRetry', () => {
  it('pushes what the attempt built on the given head', async () => {
    const repo = fakeRepo(['h1'], []);

    const result = await pushWithRetry({ repo, head: 'h1', attempt: (head) => Promise.resolve(`c-${head}`) });

    expect(result).toEqual({ pushed: 'c-h1', head: 'h1', attempts: 1 });
    expect(repo.pushed).toEqual(['c-h1']);
    expect(repo.fetched).toBe(0);
  });

  it('polls the head when none is given', async () => {
    const repo = fakeRepo(['h1'], []);

    const result = await pushWithRetry({ repo, attempt: (head) => Promise.resolve(`c-${head}`) });

    expect(result.head).toBe('h1');
    expect(repo.fetched).toBe(1);
  });

  it('re-plans on each new head with growing jittered delays', async () => {
    const repo = fakeRepo(['h2', 'h3'], [conflict(), conflict()]);
    const delays: number[] = [];
    const planned: string[] = [];

    const result = await pushWithRetry({
      repo,
      head: 'h1',
      attempt: (head) => Promise.resolve(void planned.push(head)).then(() => `c-${head}`),
      sleep: (ms) => Promise.resolve(void delays.push(ms)),
      random: () => 0.999,
      baseDelayMs: 100,
    });

    expect(planned).toEqual(['h1', 'h2', 'h3']);
    expect(repo.pushed).toEqual(['c-h1', 'c-h2', 'c-h3']);
    expect(delays).toEqual([99, 199]);
    expect(result).toEqual({ pushed: 'c-h3', head: 'h3', attempts: 3 });
  });

  it('stops when a re-plan finds nothing left to push', async () => {
    const repo = fakeRepo(['h2'], [conflict()]);

    const result = await pushWithRetry({
      repo,
      head: 'h1',
      attempt: (head) => Promise.resolve(head === 'h1' ? 'c-h1' : undefined),
      sleep: () => Promise.resolve(),
    });

    expect(result).toEqual({ pushed: undefined, head: 'h2', attempts: 2 });
  });

  it('throws the last PushConflictError after maxAttempts pushes', async () => {
    const last = conflict();
    const repo = fakeRepo(['h2', 'h3', 'h4'], [conflict(), conflict(), last]);

    const error = await pushWithRetry({
      repo,
      head: 'h1',
      attempt: (head) => Promise.resolve(`c-${head}`),
      maxAttempts: 3,
      sleep: () => Promise.resolve(),
    }).catch((err: unknown) => err);

    expect(error).toBe(last);
    expect(repo.pushed).toHaveLength(3);
  });

  it('turns a refusal on an unchanged head into GitConfigError instead of re-planning', async () => {
    const refused = conflict();
    const repo = fakeRepo(['h1'], [refused]);

    const error = await pushWithRetry({
      repo,
      head: 'h1',
      attempt: () => Promise.resolve('c'),
      sleep: () => Promise.resolve(),
    }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(GitConfigError);
    expect((error as GitConfigError).cause).toBe(refused);
    expect(repo.pushed).toEqual(['c']);
  });

  it('lets any other error through at once', async () => {
    const outage = new GitTransientError('down');
    const repo = fakeRepo(['h1'], [outage]);

    const error = await pushWithRetry({ repo, head: 'h1', attempt: () => Promise.resolve('c') }).catch(
      (err: unknown) => err,
    );

    expect(error).toBe(outage);
    expect(repo.fetched).toBe(0);
  });

  it('reports each conflict before backing off', async () => {
    const repo = fakeRepo(['h2'], [conflict()]);
    const seen: Array<{ attempt: number; delayMs: number }> = [];

    await pushWithRetry({
      repo,
      head: 'h1',
      attempt: (head) => Promise.resolve(`c-${head}`),
      sleep: () => Promise.resolve(),
      random: () => 0.5,
      onConflict: ({ attempt, delayMs }) => seen.push({ attempt, delayMs }),
    });

    expect(seen).toEqual([{ attempt: 1, delayMs: 125 }]);
  });

  it('rejects a maxAttempts below one', async () => {
    const repo = fakeRepo(['h1'], []);

    await expect(
      pushWithRetry({ repo, head: 'h1', attempt: () => Promise.resolve('c'), maxAttempts: 0 }),
    ).rejects.toThrow(RangeError);
  });
});

describe('backoffDelay', () => {
  it.each([
    [1, 0, 0],
    [1, 0.5, 125],
    [2, 0.5, 250],
    [3, 0.5, 500],
    [6, 0.5, 4_000],
    [7, 0.5, 4_000],
    [20, 0.999, 7_992],
  ])('after conflict %i with random %d waits %i ms (base 250, cap 8000)', (attempt, random, expected) => {
    expect(backoffDelay(attempt, random, 250, 8_000)).toBe(expected);
  });
});
