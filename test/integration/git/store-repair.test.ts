import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollHead } from '../../../src/git/poll-head.js';
import { openRepository, type Repository } from '../../../src/git/repository.js';
import { createSeededRepository, filesAtHead, gitCli } from '../../support/git-cli.js';

const seed = {
  'apps/podinfo/service.yaml': 'kind: Service\nmetadata: {name: podinfo}\n',
  'apps/podinfo/canary.yaml': 'kind: Canary\nmetadata: {name: podinfo}\n',
};
const author = { name: 'gitcanary', email: 'gitcanary@example.test' };

describe('the local store repairs itself from the remote', () => {
  const server = inject('gitServer');
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'gitcanary-store-repair-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** A store of a seeded repository, fetched; `reopen` opens its directory again, as a restart does. */
  async function fetchedStore() {
    const { url, bareDir } = await createSeededRepository(server, seed);
    const dir = await mkdtemp(join(scratch, 'store-'));
    const repairs: string[][] = [];
    const open = () =>
      openRepository({
        url,
        branch: 'main',
        dir,
        auth: { username: server.username, password: server.password },
        onRepair: (problems) => repairs.push(problems),
      });
    const repo = await open();
    await repo.fetch();
    return { dir, bareDir, repo, reopen: open, repairs };
  }

  /** Every file of the branch, read through `repo` after a poll: what a reconcile reads. */
  async function readAll(repo: Repository): Promise<Record<string, string>> {
    const { head } = await pollHead(repo);
    const files: Record<string, string> = {};
    for (const file of await repo.listFiles(head)) files[file.path] = await repo.readBlob(file.oid);
    return files;
  }

  const packFile = async (dir: string, extension: string) => {
    const name = (await readdir(join(dir, 'objects', 'pack'))).find((n) => n.endsWith(extension));
    if (!name) throw new Error(`no ${extension} in the store`);
    return join(dir, 'objects', 'pack', name);
  };

  it('rebuilds a store whose pack index was torn by a crash, at the next start', async () => {
    const { dir, bareDir, reopen, repairs } = await fetchedStore();
    const index = await packFile(dir, '.idx');
    await truncate(index, Math.floor((await readFile(index)).length / 2));
    // And the temporary file of a pack a killed fetch was writing (upload-pack.ts renames it when whole).
    const stray = `${await packFile(dir, '.pack')}.0123456789ab.tmp`;
    await writeFile(stray, 'PACK, half written');

    const repo = await reopen();
    const files = await readAll(repo);
    expect(await readdir(join(dir, 'objects', 'pack'))).not.toContain(stray.split('/').pop());

    expect(repairs).toEqual([[expect.stringMatching(/\.idx: .*torn write|not a version 2/) as unknown]]);
    expect(repo.stats.repairs).toBe(1);
    expect(files).toEqual(await filesAtHead(bareDir));
  });

  it('rebuilds a store whose pack was cut short', async () => {
    const { dir, bareDir, reopen, repairs } = await fetchedStore();
    const pack = await packFile(dir, '.pack');
    await truncate(pack, (await readFile(pack)).length - 7);

    const repo = await reopen();

    expect(repairs.flat()).toEqual([
      expect.stringMatching(/\.idx: its pack does not end as indexed/) as unknown,
    ]);
    expect(await readAll(repo)).toEqual(await filesAtHead(bareDir));
  });

  it('rebuilds after a failure while running: a commit of its own torn on disk after it was pushed', async () => {
    const { dir, bareDir, repo, repairs } = await fetchedStore();
    const head = await repo.localHead();
    if (!head) throw new Error('not fetched');
    const commit = await repo.commit({
      parent: head,
      changes: [{ path: 'apps/podinfo/podinfo.gitcanary.yaml', content: 'weight: 0\n' }],
      message: 'podinfo: initialized',
      author,
      timestamp: 1_700_000_000,
    });
    await writeFile(
      join(dir, 'objects', commit.slice(0, 2), commit.slice(2)),
      Buffer.from([0x78, 0x9c, 0x01]),
    );

    // The push sends the commit as it was written (kept since), so the server has it whole.
    await repo.push(commit);
    await gitCli(['--git-dir', bareDir, 'fsck', '--full', '--strict']);
    expect((await gitCli(['--git-dir', bareDir, 'rev-parse', 'main'])).trim()).toBe(commit);

    // The next read of it finds the store torn: emptied, and the next pass fetches the branch again.
    await expect(repo.listFiles(commit)).rejects.toThrow();
    expect(repairs).toHaveLength(1);
    expect(await repo.localHead()).toBeUndefined();
    expect(await readAll(repo)).toEqual(await filesAtHead(bareDir));
  });

  it('leaves a sound store alone', async () => {
    const { reopen, repairs } = await fetchedStore();

    const repo = await reopen();

    expect(repairs).toEqual([]);
    expect(await repo.localHead()).toBeDefined();
  });
});
