import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import git, { type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { GitConfigError, GitTransientError, PushConflictError } from '../../../src/git/errors.js';
import { ObjectStore, type GitObject } from '../../../src/git/object-reader.js';
import { pollHead } from '../../../src/git/poll-head.js';
import { openRepository, type Repository, type RepositoryOptions } from '../../../src/git/repository.js';
import { createBareRepository } from '../../../harness/git-server.js';
import {
  cloneOverHttp,
  commitWithCli,
  createSeededRepository,
  filesAtHead,
  gitCli,
  logSubjects,
} from '../../support/git-cli.js';
import { freePort } from '../../../harness/free-port.js';
import { commitCraftedEntries } from '../../support/crafted-tree.js';

const seed = {
  'README.md': '# delivery\n',
  'apps/podinfo/service.yaml': 'kind: Service\nmetadata: {name: podinfo}\n',
  'apps/podinfo/canary.yaml': 'kind: Canary\nmetadata: {name: podinfo}\n',
  'apps/podinfo/old.gitcanary.yaml': 'kind: Rollout\n',
  'apps/other/service.yaml': 'kind: Service\nmetadata: {name: other}\n',
};
const author = { name: 'gitcanary', email: 'gitcanary@example.test' };

describe('the git repository edge', () => {
  const server = inject('gitServer');
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'gitcanary-git-test-'));
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

  describe('remoteHead', () => {
    it('gives the head of the branch in one HTTP request', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const repo = await open(url);

      const head = await repo.remoteHead();

      expect(head).toBe((await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim());
      expect(repo.stats).toEqual({
        listServerRefs: 1,
        fetches: 0,
        pushes: 0,
        httpRequests: 1,
        repairs: 0,
        objectFallbacks: 0,
        fetchFallbacks: 0,
      });
    });

    it('throws GitConfigError when the repository has no commits', async () => {
      const url = await createBareRepository(server, `empty-${Math.random().toString(36).slice(2, 8)}`);
      const repo = await open(url);

      await expect(repo.remoteHead()).rejects.toBeInstanceOf(GitConfigError);
    });

    it('throws GitConfigError when only a branch with a longer name exists', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url, { branch: 'mai' });

      await expect(repo.remoteHead()).rejects.toThrow(/branch mai does not exist/);
    });

    it('throws GitConfigError for a wrong password, without the password in the message', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url, { auth: { username: server.username, password: 'wrong-password' } });

      const error = await repo.remoteHead().catch((err: unknown) => err);

      expect(error).toBeInstanceOf(GitConfigError);
      expect((error as GitConfigError).message).toContain('HTTP 401');
      expect((error as GitConfigError).message).not.toContain('wrong-password');
    });

    it('throws GitTransientError when nothing listens on the port, naming the request', async () => {
      const repo = await open(`http://127.0.0.1:${await freePort()}/gone.git`);

      const listing = await repo.remoteHead().catch((err: unknown) => err);
      const fetched = await repo.fetch().catch((err: unknown) => err);
      const fetchedHead = await repo.fetch('0'.repeat(40)).catch((err: unknown) => err);

      expect(listing).toBeInstanceOf(GitTransientError);
      expect((listing as Error).message).toMatch(
        /gone\.git \(ref listing\): network error \(ECONNREFUSED\)$/,
      );
      // Without a head, the fetch lists the refs first; told the head, it fails in its own request.
      expect((fetched as Error).message).toContain('gone.git (ref listing): ');
      expect((fetchedHead as Error).message).toMatch(/gone\.git \(fetch\): network error \(ECONNREFUSED\)$/);
    });

    it('throws GitTransientError when the server never answers', async () => {
      const silent: Server = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const address = silent.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        const repo = await open(`http://127.0.0.1:${port}/silent.git`, { timeoutMs: 200 });

        await expect(repo.remoteHead()).rejects.toBeInstanceOf(GitTransientError);
      } finally {
        silent.close();
      }
    });

    it('refuses a URL that is not http(s) before any request', async () => {
      await expect(open('ssh://git@example.test/repo.git')).rejects.toBeInstanceOf(GitConfigError);
    });
  });

  describe('fetch, listFiles and readBlob', () => {
    it('read back every file of a seeded repository', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url);

      const head = await repo.fetch();
      const files = await repo.listFiles(head);
      const contents = Object.fromEntries(
        await Promise.all(files.map(async (f) => [f.path, await repo.readBlob(f.oid)] as const)),
      );

      expect(contents).toEqual(seed);
      expect(await repo.localHead()).toBe(head);
      // Not told where the branch is, the fetch asks first.
      expect(repo.stats).toMatchObject({ listServerRefs: 1, fetches: 1, pushes: 0, httpRequests: 2 });
    });

    it('fetches a head it is told of in one request, then only what a commit on it added', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const gitDir = await mkdtemp(join(scratch, 'store-'));
      const repo = await open(url, { dir: gitDir });
      const first = await repo.fetch(await repo.remoteHead());
      const requests = repo.stats.httpRequests;
      await commitWithCli(bareDir, { 'apps/podinfo/service.yaml': 'changed\n' }, 'change one file');
      const next = (await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim();

      expect(await repo.fetch(next)).toBe(next);

      expect(repo.stats.httpRequests - requests).toBe(1);
      expect(repo.stats.fetchFallbacks).toBe(0);
      expect(
        await repo.readBlob(
          (await repo.listFiles(next)).find((f) => f.path === 'apps/podinfo/service.yaml')?.oid ?? '',
        ),
      ).toBe('changed\n');
      // git itself takes the store for a whole, shallow one: its packs, indexes and shallow list.
      await gitCli(['--git-dir', gitDir, 'fsck', '--no-dangling']);
      expect((await gitCli(['--git-dir', gitDir, 'rev-list', 'main'])).trim().split('\n')).toEqual([
        next,
        first,
      ]);
      // The second pack holds only the commit's new objects: the commit, two trees and the blob.
      const counts = await gitCli(['--git-dir', gitDir, 'count-objects', '-v']);
      expect(counts).toMatch(/packs: 2/);
      const packs = (await readdir(join(gitDir, 'objects', 'pack'))).filter((f) => f.endsWith('.idx'));
      const sizes = await Promise.all(
        packs.map(
          async (idx) =>
            (await gitCli(['--git-dir', gitDir, 'verify-pack', '-v', join(gitDir, 'objects', 'pack', idx)]))
              .split('\n')
              .filter((line) => /^[0-9a-f]{40} /.test(line)).length,
        ),
      );
      expect(sizes.sort((a, b) => a - b)[0]).toBe(5);
    });

    it('fetches the older way from a server that does not answer in protocol version 2', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      // The Git-Protocol header dropped on the way, as an old server or proxy would.
      const withoutV2: HttpClient = {
        request: (request) => {
          const headers = { ...request.headers };
          delete headers['git-protocol'];
          return nodeHttp.request({ ...request, headers });
        },
      };
      const repo = await open(url, { http: withoutV2 });

      const head = await repo.fetch(await repo.remoteHead());

      expect(head).toBe((await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim());
      expect(repo.stats.fetchFallbacks).toBe(1);
      expect((await repo.listFiles(head)).length).toBe(Object.keys(seed).length);
    });

    it('lists a tree entry no path may hold as refused, never what is below it, and commits beside it', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      await commitCraftedEntries(bareDir, [
        { parent: 'apps', name: '..', content: { 'escape.yaml': 'kind: Service\n' } },
        { parent: 'apps/podinfo', name: '.GIT', content: { 'config.yaml': 'kind: Service\n' } },
        { parent: '', name: '/etc', content: 'kind: Service\n' },
        { parent: 'apps/other', name: '..\\x.yaml', content: 'kind: Service\n' },
      ]);
      const repo = await open(url);
      const head = await repo.fetch();

      const files = await repo.listFiles(head);
      const commit = await repo.commit({
        parent: head,
        changes: [{ path: 'apps/podinfo/podinfo.gitcanary.yaml', content: 'generated\n' }],
        message: 'beside the crafted entries',
        author,
        timestamp: 1_800_000_000,
      });
      await repo.push(commit);

      expect(files.filter((f) => f.refused).map((f) => [f.path, f.refused])).toEqual([
        ['/etc', 'the tree entry name "/etc" holds a path separator'],
        ['apps/..', 'the tree entry ".." names no file'],
        ['apps/other/..\\x.yaml', 'the tree entry name "..\\\\x.yaml" holds a path separator'],
        ['apps/podinfo/.GIT', 'the tree entry ".GIT" is git\'s own folder'],
      ]);
      expect(files.filter((f) => !f.refused).map((f) => f.path)).toEqual(Object.keys(seed).sort());
      // The entries gitcanary does not own are kept as they were.
      const tree = await gitCli(['--git-dir', bareDir, 'ls-tree', '-r', '--name-only', 'main']);
      expect(tree.split('\n')).toEqual(
        expect.arrayContaining(['/etc', 'apps/../escape.yaml', 'apps/podinfo/.GIT/config.yaml']),
      );
    });

    it('lists only the paths the filter accepts', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const head = await repo.fetch();

      const files = await repo.listFiles(head, (path) => path.startsWith('apps/podinfo/'));

      expect(files.map((f) => f.path).sort()).toEqual([
        'apps/podinfo/canary.yaml',
        'apps/podinfo/old.gitcanary.yaml',
        'apps/podinfo/service.yaml',
      ]);
    });

    it('keeps the blob oid of an unchanged file across heads, so callers can cache by oid', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const before = await repo.listFiles(await repo.fetch());
      await commitWithCli(bareDir, { 'apps/podinfo/service.yaml': 'kind: Service\nspec: {}\n' }, 'edit');

      const after = await repo.listFiles(await repo.fetch());

      const oid = (files: typeof before, path: string) => files.find((f) => f.path === path)?.oid;
      expect(oid(after, 'apps/other/service.yaml')).toBe(oid(before, 'apps/other/service.yaml'));
      expect(oid(after, 'apps/podinfo/service.yaml')).not.toBe(oid(before, 'apps/podinfo/service.yaml'));
    });

    it('lists the changes between two commits as git diff does, reading only the trees that differ', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const first = await repo.fetch();
      const before = await repo.listFiles(first);
      await commitWithCli(
        bareDir,
        {
          'apps/podinfo/service.yaml': 'kind: Service\nspec: {}\n',
          'apps/podinfo/old.gitcanary.yaml': null,
          'apps/new/service.yaml': 'kind: Service\n',
          // A file where a folder was, and a folder where a file was.
          'README.md': null,
          'README.md/index.yaml': 'kind: Service\n',
          'apps/other/service.yaml': null,
          'apps/other': 'a file now\n',
        },
        'edit',
      );
      const second = await repo.fetch();

      const changes = await repo.listChanges(first, second);

      const oid = (path: string) => before.find((f) => f.path === path)?.oid;
      const after = new Map((await repo.listFiles(second)).map((f) => [f.path, f.oid]));
      expect(changes?.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual([
        { path: 'README.md', before: oid('README.md') },
        { path: 'README.md/index.yaml', after: after.get('README.md/index.yaml') },
        { path: 'apps/new/service.yaml', after: after.get('apps/new/service.yaml') },
        { path: 'apps/other', after: after.get('apps/other') },
        { path: 'apps/other/service.yaml', before: oid('apps/other/service.yaml') },
        { path: 'apps/podinfo/old.gitcanary.yaml', before: oid('apps/podinfo/old.gitcanary.yaml') },
        {
          path: 'apps/podinfo/service.yaml',
          before: oid('apps/podinfo/service.yaml'),
          after: after.get('apps/podinfo/service.yaml'),
        },
      ]);
      expect(await repo.listChanges(second, second)).toEqual([]);
      expect(await repo.listChanges('0'.repeat(40), second)).toBeUndefined();
    });

    it('lists as git diff does the changes at the start, in the middle and at the end of a wide folder', async () => {
      const names = Array.from({ length: 40 }, (_, i) => `app-${String(i).padStart(2, '0')}`);
      const files = Object.fromEntries(names.map((name) => [`apps/${name}/service.yaml`, `name: ${name}\n`]));
      const { url, bareDir } = await createSeededRepository(server, files);
      const repo = await open(url);
      const first = await repo.fetch();
      await commitWithCli(
        bareDir,
        {
          'apps/app-00/service.yaml': 'changed: first\n',
          'apps/app-17/service.yaml': 'changed: middle\n',
          'apps/app-18/service.yaml': null,
          'apps/app-18a/service.yaml': 'added: beside\n',
          'apps/app-39/service.yaml': 'changed: last\n',
        },
        'edit',
      );
      const second = await repo.fetch();

      const changes = await repo.listChanges(first, second);

      const diff = await gitCli(['--git-dir', bareDir, 'diff', '--name-only', first, second]);
      expect(changes?.map((change) => change.path).sort()).toEqual(diff.trim().split('\n').sort());
    });

    it('lists a refused entry of a changed tree among the changes, whatever the filter', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const first = await repo.fetch();
      await commitCraftedEntries(bareDir, [
        { parent: 'apps', name: '..', content: { 'escape.yaml': 'kind: Service\n' } },
      ]);
      const second = await repo.fetch();

      const changes = await repo.listChanges(first, second, () => false);

      expect(changes).toEqual([{ path: 'apps/..', refused: 'the tree entry ".." names no file' }]);
    });

    it('throws GitConfigError when the branch does not exist', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url, { branch: 'release' });

      await expect(repo.fetch()).rejects.toBeInstanceOf(GitConfigError);
    });
  });

  describe('pollHead', () => {
    it('costs one ref listing in one HTTP request and no fetch when nothing changed', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const first = await pollHead(repo);
      const before = { ...repo.stats };

      const second = await pollHead(repo);

      expect(first.moved).toBe(true);
      expect(second).toEqual({ head: first.head, moved: false });
      expect(repo.stats.listServerRefs - before.listServerRefs).toBe(1);
      expect(repo.stats.fetches - before.fetches).toBe(0);
      expect(repo.stats.httpRequests - before.httpRequests).toBe(1);
    });

    it('fetches the new head when another writer moved the branch', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const repo = await open(url);
      await pollHead(repo);
      const moved = await commitWithCli(bareDir, { 'apps/new.yaml': 'kind: Service\n' }, 'other writer');

      const polled = await pollHead(repo);

      expect(polled).toEqual({ head: moved, moved: true });
      expect((await repo.listFiles(moved)).map((f) => f.path)).toContain('apps/new.yaml');
    });

    it('empties the store before a fetch once it holds maxPacks packs, and still reads and writes', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const dir = await mkdtemp(join(scratch, 'store-'));
      const repo = await open(url, { dir, maxPacks: 2 });
      const packCounts: number[] = [];
      for (let i = 1; i <= 4; i++) {
        await commitWithCli(
          bareDir,
          { 'apps/podinfo/podinfo.gitcanary.yaml': `weight: ${i}\n` },
          `step ${i}`,
        );
        await pollHead(repo);
        packCounts.push(
          (await readdir(join(dir, 'objects', 'pack'))).filter((f) => f.endsWith('.pack')).length,
        );
      }

      const head = await repo.localHead();
      const files = await repo.listFiles(head ?? '');
      const rollout = files.find((f) => f.path === 'apps/podinfo/podinfo.gitcanary.yaml');
      const oid = await repo.commit({
        parent: head ?? '',
        changes: [{ path: 'apps/podinfo/podinfo.gitcanary.yaml', content: 'weight: 5\n' }],
        message: 'step 5',
        author,
        timestamp: 1,
      });
      await repo.push(oid);

      expect(packCounts).toEqual([1, 2, 1, 2]);
      expect(await repo.readBlob(rollout?.oid ?? '')).toBe('weight: 4\n');
      expect(files).toHaveLength(Object.keys(seed).length + 1);
      expect(await logSubjects(bareDir)).toEqual(['step 5', 'step 4', 'step 3', 'step 2', 'step 1', 'seed']);
    });

    it('reuses a local directory and its head after a restart', async () => {
      const { url } = await createSeededRepository(server, seed);
      const dir = await mkdtemp(join(scratch, 'store-'));
      const auth = { username: server.username, password: server.password };
      const head = (await pollHead(await openRepository({ url, branch: 'main', dir, auth }))).head;

      const reopened = await openRepository({ url, branch: 'main', dir, auth });

      expect(await pollHead(reopened)).toEqual({ head, moved: false });
      expect(reopened.stats.fetches).toBe(0);
    });
    it('fetches only what changed since its head, not the snapshot again', async () => {
      const apps = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`apps/app-${i}/service.yaml`, `kind: Service\nn: ${i}\n`]),
      );
      const { url, bareDir } = await createSeededRepository(server, { ...seed, ...apps });
      const dir = await mkdtemp(join(scratch, 'store-'));
      const repo = await open(url, { dir });
      await pollHead(repo);
      await commitWithCli(bareDir, { 'apps/app-3/service.yaml': 'kind: Service\nn: three\n' }, 'change one');

      await pollHead(repo);

      // The new commit, the root, apps/, apps/app-3/ and the changed blob; not the 20 other folders.
      const packs = await packObjectCounts(join(dir, 'objects', 'pack'));
      expect(packs).toHaveLength(2);
      expect(Math.min(...packs)).toBe(5);
      const head = (await repo.localHead()) ?? '';
      const changed = (await repo.listFiles(head)).find((f) => f.path === 'apps/app-3/service.yaml');
      expect(await repo.readBlob(changed?.oid ?? '')).toBe('kind: Service\nn: three\n');
    });

    it('lists a new head reading only the trees on the changed path', async () => {
      const apps = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`apps/app-${i}/service.yaml`, `kind: Service\nn: ${i}\n`]),
      );
      const { url, bareDir } = await createSeededRepository(server, { ...seed, ...apps });
      const repo = await open(url);
      const before = await repo.listFiles((await pollHead(repo)).head);
      await commitWithCli(bareDir, { 'apps/app-3/service.yaml': 'kind: Service\nn: three\n' }, 'change one');
      const { head } = await pollHead(repo);
      const read = vi.spyOn(ObjectStore.prototype, 'read');
      const readTree = vi.spyOn(git, 'readTree');

      const after = await repo.listFiles(head);
      const again = await repo.listFiles(head);

      // The root, apps/ and apps/app-3/; nothing at all for the same head again.
      const treesRead = read.mock.results.filter((r) => (r.value as GitObject | undefined)?.type === 'tree');
      expect(treesRead).toHaveLength(3);
      expect(readTree).not.toHaveBeenCalled();
      read.mockRestore();
      readTree.mockRestore();
      expect(after.map((f) => f.path)).toEqual(before.map((f) => f.path));
      expect(after.filter((f, i) => f.oid !== before[i]?.oid).map((f) => f.path)).toEqual([
        'apps/app-3/service.yaml',
      ]);
      expect(again).toEqual(after);
    });
  });

  describe('commit and push', () => {
    const changes = [
      { path: 'apps/podinfo/podinfo.gitcanary.yaml', content: 'kind: Rollout\nweight: 10\n' },
      { path: 'apps/podinfo/service.yaml', content: 'kind: Service\nmetadata: {name: podinfo}\nspec: {}\n' },
      { path: 'apps/podinfo/old.gitcanary.yaml', content: null },
      { path: 'deep/er/still/new.yaml', content: 'a: 1\n' },
    ];

    it('adds, modifies and deletes nested files and leaves every other file as it was', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const parent = await repo.fetch();

      const oid = await repo.commit({
        parent,
        changes,
        message: 'podinfo: weight 0 → 10',
        author,
        timestamp: 1,
      });
      await repo.push(oid);

      const clone = await cloneOverHttp(server, url, scratch);
      expect(await filesAtHead(clone)).toEqual({
        'README.md': seed['README.md'],
        'apps/other/service.yaml': seed['apps/other/service.yaml'],
        'apps/podinfo/canary.yaml': seed['apps/podinfo/canary.yaml'],
        'apps/podinfo/podinfo.gitcanary.yaml': 'kind: Rollout\nweight: 10\n',
        'apps/podinfo/service.yaml': 'kind: Service\nmetadata: {name: podinfo}\nspec: {}\n',
        'deep/er/still/new.yaml': 'a: 1\n',
      });
      expect(await logSubjects(clone)).toEqual(['podinfo: weight 0 → 10', 'seed']);
      expect((await gitCli(['--git-dir', clone, 'rev-parse', 'main'])).trim()).toBe(oid);
      await gitCli(['--git-dir', bareDir, 'fsck', '--strict', '--no-progress']);
      expect(await repo.localHead()).toBe(oid);
      expect(repo.stats).toMatchObject({ fetches: 1, pushes: 1 });
    });

    it('keeps untouched subtrees by oid and drops a directory whose last file is deleted', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const parent = await repo.fetch();

      const oid = await repo.commit({
        parent,
        changes: [{ path: 'apps/other/service.yaml', content: null }],
        message: 'remove other',
        author,
        timestamp: 1,
      });
      await repo.push(oid);

      const clone = await cloneOverHttp(server, url, scratch);
      const tree = async (ref: string) => (await gitCli(['--git-dir', clone, 'rev-parse', ref])).trim();
      expect(await tree('main:apps/podinfo')).toBe(await tree('main~1:apps/podinfo'));
      expect(await gitCli(['--git-dir', clone, 'ls-tree', '--name-only', 'main:apps'])).toBe('podinfo\n');
    });

    it("changes files in place in folders whose names sort apart as bytes and as folders, as git's own commit does", async () => {
      const wide = {
        'apps/a/x.yaml': 'x: 1\n',
        'apps/a.b/x.yaml': 'x: 2\n',
        'apps/a-b/x.yaml': 'x: 3\n',
        'apps/a b/x.yaml': 'x: 4\n',
        'apps/é/x.yaml': 'x: 5\n',
        'apps/ab': 'a file beside the folders\n',
      };
      const edits = { 'apps/a b/x.yaml': 'x: 40\n', 'apps/a/x.yaml': 'x: 10\n', 'apps/ab': 'edited\n' };
      const ours = await createSeededRepository(server, wide);
      const theirs = await createSeededRepository(server, wide);
      const repo = await open(ours.url);
      const parent = await repo.fetch();
      const changes = Object.entries(edits).map(([path, content]) => ({ path, content }));
      await repo.push(await repo.commit({ parent, changes, message: 'edit', author, timestamp: 1 }));
      await commitWithCli(theirs.bareDir, edits, 'edit');

      const tree = async (bareDir: string, ref: string) =>
        (await gitCli(['--git-dir', bareDir, 'rev-parse', ref])).trim();
      expect(await tree(ours.bareDir, 'main^{tree}')).toBe(await tree(theirs.bareDir, 'main^{tree}'));
      expect(await tree(ours.bareDir, 'main:apps/a.b')).toBe(await tree(ours.bareDir, 'main~1:apps/a.b'));
      await gitCli(['--git-dir', ours.bareDir, 'fsck', '--strict', '--no-progress']);
    });

    it('pushes a chain of commits in one request carrying only the objects they added', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const bodies: Buffer[] = [];
      const repo = await open(url, { http: recordingUploads(bodies) });
      let head = await repo.fetch();
      const requestsBefore = repo.stats.httpRequests;
      for (const [path, content] of [
        ['apps/podinfo/service.yaml', 'kind: Service\nmetadata: {name: podinfo}\nspec: {}\n'],
        ['README.md', '# delivery, now with canaries\n'],
        ['deep/new.yaml', 'a: 1\n'],
      ] as const) {
        head = await repo.commit({
          parent: head,
          changes: [{ path, content }],
          message: path,
          author,
          timestamp: 1,
        });
      }

      await repo.push(head);

      expect(repo.stats.httpRequests - requestsBefore).toBe(1);
      // Commit, root, apps/, apps/podinfo/, blob; commit, root, blob; commit, root, deep/, blob.
      expect(bodies.map(packObjectCountOf)).toEqual([12]);
      await gitCli(['--git-dir', bareDir, 'fsck', '--full', '--strict']);
      expect(await logSubjects(bareDir)).toEqual([
        'deep/new.yaml',
        'README.md',
        'apps/podinfo/service.yaml',
        'seed',
      ]);
      expect((await filesAtHead(bareDir))['deep/new.yaml']).toBe('a: 1\n');
    });

    it('sends the objects of its own commits as it wrote them, and reads back those past what it keeps', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      const bodies: Buffer[] = [];
      const dir = await mkdtemp(join(scratch, 'store-'));
      const repo = await open(url, { dir, http: recordingUploads(bodies) });
      let head = await repo.fetch();
      const subjects: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        subjects.unshift(`note ${i}`);
        head = await repo.commit({
          parent: head,
          changes: [{ path: `notes/note-${i}.yaml`, content: `n: ${i}\n` }],
          message: `note ${i}`,
          author,
          timestamp: 1 + i,
        });
      }
      // The newest commit's new trees are gone from the store: only what the commit kept can send them.
      const trees = await gitCli(['--git-dir', dir, 'rev-parse', `${head}^{tree}`, `${head}:notes`]);
      for (const oid of trees.trim().split('\n'))
        await rm(join(dir, 'objects', oid.slice(0, 2), oid.slice(2)));

      await repo.push(head);

      // Each commit: itself, the root, notes/ and its blob. The first four are read back from the store.
      expect(bodies.map(packObjectCountOf)).toEqual([80]);
      await gitCli(['--git-dir', bareDir, 'fsck', '--full', '--strict']);
      expect((await logSubjects(bareDir)).slice(0, 20)).toEqual(subjects);
      expect((await filesAtHead(bareDir))['notes/note-19.yaml']).toBe('n: 19\n');
    });

    it('gives the same oid for the same inputs, whatever the order of the changes', async () => {
      const { url } = await createSeededRepository(server, seed);
      const [one, two] = [await open(url), await open(url)];
      const parent = await one.fetch();
      await two.fetch();
      const input = { parent, message: 'podinfo: weight 0 → 10', author, timestamp: 1_700_000_000 };

      const first = await one.commit({ ...input, changes });
      const second = await two.commit({ ...input, changes: [...changes].reverse() });

      expect(second).toBe(first);
    });

    it('rejects a path that leaves the repository', async () => {
      const { url } = await createSeededRepository(server, seed);
      const repo = await open(url);
      const parent = await repo.fetch();
      const commit = (path: string) =>
        repo.commit({ parent, changes: [{ path, content: 'x' }], message: 'm', author, timestamp: 1 });

      await expect(commit('../escape.yaml')).rejects.toThrow(/not a relative POSIX file path/);
      await expect(commit('/abs.yaml')).rejects.toThrow(/not a relative POSIX file path/);
      await expect(commit('a/.git/config')).rejects.toThrow(/not a relative POSIX file path/);
    });

    // The server in these two tests accepts forced updates, as many forges do by default, so only
    // gitcanary's own never-force discipline keeps the other writer's commit.
    it('throws PushConflictError when another writer pushed first, and keeps their commit', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      await allowForcePushes(bareDir);
      const repo = await open(url);
      const parent = await repo.fetch();
      const theirs = await commitWithCli(bareDir, { 'apps/theirs.yaml': 'x: 1\n' }, 'their commit');
      const ours = await repo.commit({ parent, changes, message: 'our commit', author, timestamp: 1 });

      await expect(repo.push(ours)).rejects.toBeInstanceOf(PushConflictError);

      expect((await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim()).toBe(theirs);
      expect(await repo.localHead()).toBe(parent);
    });

    it('throws PushConflictError when the other writer wins while our pack is on its way', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      await allowForcePushes(bareDir);
      const repo = await open(url, {
        http: beforeFirstUpload(() => commitWithCli(bareDir, {}, 'their commit')),
      });
      const parent = await repo.fetch();
      const ours = await repo.commit({ parent, changes, message: 'our commit', author, timestamp: 1 });

      const error = await repo.push(ours).catch((err: unknown) => err);

      expect(error).toBeInstanceOf(PushConflictError);
      expect((error as PushConflictError).message).toMatch(/push refused by the server/);
      expect(await logSubjects(bareDir)).toEqual(['their commit', 'seed']);
    });

    it('throws PushConflictError when the server declines the update in a hook', async () => {
      const { url, bareDir } = await createSeededRepository(server, seed);
      await writeFile(join(bareDir, 'hooks', 'pre-receive'), '#!/bin/sh\nexit 1\n');
      await chmod(join(bareDir, 'hooks', 'pre-receive'), 0o755);
      const repo = await open(url);
      const parent = await repo.fetch();
      const ours = await repo.commit({ parent, changes, message: 'our commit', author, timestamp: 1 });

      await expect(repo.push(ours)).rejects.toBeInstanceOf(PushConflictError);
      expect(await repo.localHead()).toBe(parent);
    });
  });
});

async function allowForcePushes(bareDir: string): Promise<void> {
  await gitCli(['--git-dir', bareDir, 'config', 'receive.denyNonFastForwards', 'false']);
}

/** An HTTP client that keeps the body of every request to git-receive-pack. */
function recordingUploads(bodies: Buffer[]): HttpClient {
  return {
    async request(request) {
      if (request.method === 'POST' && request.url.endsWith('/git-receive-pack')) {
        const chunks: Uint8Array[] = [];
        for await (const chunk of request.body ?? []) chunks.push(chunk);
        const body = Buffer.concat(chunks);
        bodies.push(body);
        return nodeHttp.request({ ...request, body: [body] as unknown as AsyncIterableIterator<Uint8Array> });
      }
      return nodeHttp.request(request);
    },
  };
}

/** The object count in the header of the pack inside a request or a .pack file. */
function packObjectCountOf(buffer: Buffer): number {
  const at = buffer.indexOf('PACK');
  return buffer.readUInt32BE(at + 8);
}

async function packObjectCounts(packDir: string): Promise<number[]> {
  const packs = (await readdir(packDir)).filter((name) => name.endsWith('.pack'));
  return Promise.all(packs.map(async (name) => packObjectCountOf(await readFile(join(packDir, name)))));
}

/** An HTTP client that runs `action` once, right before the first pack is sent to git-receive-pack. */
function beforeFirstUpload(action: () => Promise<unknown>): HttpClient {
  let done = false;
  return {
    async request(request) {
      if (!done && request.method === 'POST' && request.url.endsWith('/git-receive-pack')) {
        done = true;
        await action();
      }
      return nodeHttp.request(request);
    },
  };
}
