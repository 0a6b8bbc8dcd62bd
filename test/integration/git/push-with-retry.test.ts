import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { GitConfigError, PushConflictError } from '../../../src/git/errors.js';
import { pushWithRetry } from '../../../src/git/push-with-retry.js';
import { openRepository, type Repository, type RepositoryOptions } from '../../../src/git/repository.js';
import {
  commitWithCli,
  createSeededRepository,
  filesAtHead,
  gitCli,
  logSubjects,
} from '../../support/git-cli.js';

const seed = { 'podinfo/service.yaml': 'kind: Service\n', 'podinfo/podinfo.gitcanary.yaml': 'weight: 0\n' };
const author = { name: 'gitcanary', email: 'gitcanary@example.test' };

describe('pushWithRetry against a real git server', () => {
  const server = inject('gitServer');
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'gitcanary-push-retry-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function open(url: string, options: Partial<RepositoryOptions> = {}): Promise<Repository> {
    return openRepository({
      url,
      branch: 'main',
      dir: await mkdtemp(join(scratch, 'store-')),
      auth: { username: server.username, password: server.password },
      ...options,
    });
  }

  /** A planner that sets the weight one step above what the head it is given holds. */
  function stepWeight(repo: Repository, planned: string[]) {
    return async (head: string): Promise<string> => {
      planned.push(head);
      const file = (await repo.listFiles(head)).find((f) => f.path === 'podinfo/podinfo.gitcanary.yaml');
      const weight = Number((await repo.readBlob(file?.oid ?? '')).replace('weight: ', ''));
      return repo.commit({
        parent: head,
        changes: [{ path: 'podinfo/podinfo.gitcanary.yaml', content: `weight: ${weight + 10}\n` }],
        message: `podinfo: weight ${weight} → ${weight + 10}`,
        author,
        timestamp: 1_700_000_000,
      });
    };
  }

  const noSleep = { sleep: () => Promise.resolve(), random: () => 0.5 };

  it('re-plans on the head another writer pushed and keeps their commit', async () => {
    const { url, bareDir } = await createSeededRepository(server, seed);
    const repo = await open(url);
    const planned: string[] = [];
    const stale = await repo.fetch();
    const theirs = await commitWithCli(
      bareDir,
      { 'podinfo/podinfo.gitcanary.yaml': 'weight: 50\n' },
      'theirs',
    );

    const result = await pushWithRetry({ repo, head: stale, attempt: stepWeight(repo, planned), ...noSleep });

    expect(planned).toEqual([stale, theirs]);
    expect(result).toMatchObject({ head: theirs, attempts: 2 });
    expect(await logSubjects(bareDir)).toEqual(['podinfo: weight 50 → 60', 'theirs', 'seed']);
    expect((await filesAtHead(bareDir))['podinfo/podinfo.gitcanary.yaml']).toBe('weight: 60\n');
    expect((await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim()).toBe(result.pushed);
  });

  it('re-plans when the other writer wins between ref listing and pack upload', async () => {
    const { url, bareDir } = await createSeededRepository(server, seed);
    const other = () =>
      commitWithCli(bareDir, { 'podinfo/podinfo.gitcanary.yaml': 'weight: 30\n' }, 'theirs');
    const repo = await open(url, { http: beforeUploads(1, other) });
    const planned: string[] = [];

    const result = await pushWithRetry({ repo, attempt: stepWeight(repo, planned), ...noSleep });

    expect(result.attempts).toBe(2);
    expect(planned).toHaveLength(2);
    expect(await logSubjects(bareDir)).toEqual(['podinfo: weight 30 → 40', 'theirs', 'seed']);
  });

  it('gives up with the last PushConflictError after maxAttempts, never overwriting', async () => {
    const { url, bareDir } = await createSeededRepository(server, seed);
    let n = 0;
    const other = () => commitWithCli(bareDir, {}, `theirs ${++n}`);
    const repo = await open(url, { http: beforeUploads(Infinity, other) });
    const delays: number[] = [];

    const error = await pushWithRetry({
      repo,
      attempt: stepWeight(repo, []),
      maxAttempts: 3,
      sleep: (ms) => Promise.resolve(void delays.push(ms)),
      random: () => 0.5,
    }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(PushConflictError);
    expect(repo.stats.pushes).toBe(3);
    expect(delays).toEqual([125, 250]);
    expect(await logSubjects(bareDir)).toEqual(['theirs 3', 'theirs 2', 'theirs 1', 'seed']);
  });

  it('stops with GitConfigError when the server declines although the branch did not move', async () => {
    const { url, bareDir } = await createSeededRepository(server, seed);
    await writeFile(join(bareDir, 'hooks', 'pre-receive'), '#!/bin/sh\necho protected branch >&2\nexit 1\n');
    await chmod(join(bareDir, 'hooks', 'pre-receive'), 0o755);
    const repo = await open(url);

    const error = await pushWithRetry({ repo, attempt: stepWeight(repo, []), ...noSleep }).catch(
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(GitConfigError);
    expect((error as GitConfigError).cause).toBeInstanceOf(PushConflictError);
    expect(repo.stats.pushes).toBe(1);
  });

  it('pushes nothing when the attempt has nothing to commit', async () => {
    const { url } = await createSeededRepository(server, seed);
    const repo = await open(url);

    const result = await pushWithRetry({ repo, attempt: () => Promise.resolve(undefined), ...noSleep });

    expect(result).toMatchObject({ pushed: undefined, attempts: 1 });
    expect(repo.stats).toMatchObject({ listServerRefs: 1, fetches: 1, pushes: 0 });
  });
});

/** An HTTP client that runs `action` before each of the first `times` pack uploads to git-receive-pack. */
function beforeUploads(times: number, action: () => Promise<unknown>): HttpClient {
  let done = 0;
  return {
    async request(request) {
      if (done < times && request.method === 'POST' && request.url.endsWith('/git-receive-pack')) {
        done += 1;
        await action();
      }
      return nodeHttp.request(request);
    },
  };
}
