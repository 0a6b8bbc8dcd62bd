import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { GitTransientError } from '../../../src/git/errors.js';
import { openRepository, type RepositoryOptions } from '../../../src/git/repository.js';
import { createSeededRepository, gitCli } from '../../support/git-cli.js';
import { startFaultyGitProxy, type FaultyGitProxy } from '../../support/faulty-git-proxy.js';

const author = { name: 'gitcanary', email: 'gitcanary@example.test' };

describe('the deadline of a git request', () => {
  const server = inject('gitServer');
  let scratch: string;
  let proxy: FaultyGitProxy;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'gitcanary-git-deadline-'));
    proxy = await startFaultyGitProxy(server.url);
  });
  afterEach(() => {
    for (const key of Object.keys(proxy.faults)) delete proxy.faults[key as keyof typeof proxy.faults];
  });
  afterAll(async () => {
    await proxy.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  /** A seeded repository behind the proxy, fetched, with a commit ready to push. */
  async function readyToPush(options: Partial<RepositoryOptions> = {}) {
    const { url, bareDir } = await createSeededRepository(server, { 'README.md': '# x\n' });
    const repo = await openRepository({
      url: url.replace(server.url, proxy.url),
      branch: 'main',
      dir: await mkdtemp(join(scratch, 'store-')),
      auth: { username: server.username, password: server.password },
      ...options,
    });
    const head = await repo.fetch();
    const commit = await repo.commit({
      parent: head,
      changes: [{ path: 'README.md', content: '# y\n' }],
      message: 'change',
      author,
      timestamp: 1_700_000_000,
    });
    const serverHead = async () => (await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim();
    return { repo, commit, serverHead };
  }

  it('lets a push wait for a forge whose hooks take 8 s (Node’s agents would cut it at 5 s)', async () => {
    const { repo, commit, serverHead } = await readyToPush();
    proxy.faults.holdPushMs = 8_000;

    const started = performance.now();
    await repo.push(commit);
    const seconds = (performance.now() - started) / 1000;

    expect(seconds).toBeGreaterThan(7.5);
    expect(await serverHead()).toBe(commit);
    expect(proxy.counts.held).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('ends a request at its deadline, as a transient error', async () => {
    const { repo, commit } = await readyToPush({ timeoutMs: 1_500 });
    proxy.faults.holdPushMs = 8_000;

    const started = performance.now();
    const pushed = repo.push(commit);

    await expect(pushed).rejects.toBeInstanceOf(GitTransientError);
    await expect(pushed).rejects.toThrow(/ \(push\): /);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('ends a request when the work it belongs to is abandoned', async () => {
    const work = new AbortController();
    const { repo, commit } = await readyToPush({ signal: () => work.signal });
    proxy.faults.blackHole = ['push'];

    const started = performance.now();
    const pushed = repo.push(commit);
    setTimeout(() => work.abort(), 500);

    await expect(pushed).rejects.toBeInstanceOf(GitTransientError);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
