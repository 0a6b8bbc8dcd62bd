import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError } from '../../../src/git/errors.js';
import { ObjectStore } from '../../../src/git/object-reader.js';
import { readBlobText } from '../../../src/git/read-tree.js';
import type { RepositoryContext } from '../../../src/git/repository-context.js';
import { commitDeltaHistory, commitWithCli, gitCli } from '../../support/git-cli.js';

/** Every object of the repository with its type and content, as `git cat-file --batch` prints them. */
async function catAll(gitDir: string): Promise<Map<string, { type: string; content: string }>> {
  const oids = (await gitCli(['--git-dir', gitDir, 'rev-list', '--objects', '--all']))
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
  const objects = new Map<string, { type: string; content: string }>();
  for (const oid of oids) {
    const type = (await gitCli(['--git-dir', gitDir, 'cat-file', '-t', oid])).trim();
    // Compared as latin1, so that tree entries' binary oids survive the round trip through a string.
    const content = (await gitCli(['--git-dir', gitDir, 'cat-file', type, oid], undefined)).toString();
    objects.set(oid, { type, content });
  }
  return objects;
}

describe('the object reader', () => {
  let scratch: string;
  let bare: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'gitcanary-objects-'));
    bare = join(scratch, 'repo.git');
    await gitCli(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    // Many near-identical files, changed over a few commits: git stores most of them as deltas.
    await commitDeltaHistory(bare, 40, 4);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    ['offset deltas', 'true'],
    ['reference deltas', 'false'],
  ])('reads every object of a pack with %s as git does', async (_, useDeltaBaseOffset) => {
    await gitCli([
      '--git-dir',
      bare,
      '-c',
      `repack.useDeltaBaseOffset=${useDeltaBaseOffset}`,
      'repack',
      '-a',
      '-d',
      '-f',
      '--depth=50',
      '--window=250',
      '-q',
    ]);
    const expected = await catAll(bare);
    const pack = (await gitCli(['--git-dir', bare, 'rev-parse', '--git-path', 'objects/pack'])).trim();
    const idx = (await readdir(join(bare, pack.replace(/^.*objects/, 'objects')))).find((f) =>
      f.endsWith('.idx'),
    );
    // `verify-pack -v` prints a delta's depth and base: seven fields instead of five.
    const deltas = (await gitCli(['verify-pack', '-v', join(bare, 'objects', 'pack', idx ?? '')]))
      .split('\n')
      .filter((line) => /^[0-9a-f]{40}\s+\w+(\s+\d+){4}\s+[0-9a-f]{40}$/.test(line)).length;
    const store = new ObjectStore(bare);

    for (const [oid, { type, content }] of expected) {
      const object = store.read(oid);
      expect(object?.type).toBe(type);
      expect(object?.content.toString()).toBe(content);
    }
    expect(deltas).toBeGreaterThan(expected.size / 3);
  });

  it('reads loose objects, and finds a pack added after it was created', async () => {
    const store = new ObjectStore(bare);
    expect(store.read('0'.repeat(40))).toBeUndefined();
    const head = await commitWithCli(bare, { 'apps/new.yaml': 'kind: Service\n' }, 'loose');

    expect(store.read(head)?.type).toBe('commit');
    await gitCli(['--git-dir', bare, 'repack', '-a', '-d', '-q']);
    expect(new ObjectStore(bare).read(head)?.type).toBe('commit');
    expect(store.read(head)?.content.toString()).toMatch(/^tree [0-9a-f]{40}\n/);
  });

  it('refuses a blob over the limit without inflating it: loose, packed whole, and packed as a delta', async () => {
    // 8 MiB of zeros, and the same with one more line: a few kilobytes each once compressed.
    const zeros = '\0'.repeat(8 * 1024 * 1024);
    const head = await commitWithCli(
      bare,
      { 'big/zeros.yaml': zeros, 'big/zeros-2.yaml': `${zeros}x\n`, 'big/small.yaml': 'kind: Service\n' },
      'big',
    );
    const blobs = (await gitCli(['--git-dir', bare, 'ls-tree', `${head}:big`]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/\s+/)[2] ?? '');
    const limit = 1024 * 1024;
    const read = (oid: string) => {
      try {
        return new ObjectStore(bare).read(oid, limit);
      } catch (error) {
        return error;
      }
    };
    const before = process.memoryUsage().arrayBuffers;

    const loose = blobs.map(read);
    await gitCli(['--git-dir', bare, 'repack', '-a', '-d', '-f', '-q']);
    const packed = blobs.map(read);

    for (const outcome of [...loose, ...packed]) {
      if (outcome instanceof BlobTooLargeError) expect(outcome.limit).toBe(limit);
      else expect(outcome).toMatchObject({ type: 'blob', content: Buffer.from('kind: Service\n') });
    }
    expect([...loose, ...packed].filter((o) => o instanceof BlobTooLargeError)).toHaveLength(4);
    // A packed object says its size before it is inflated.
    expect(packed.filter((o) => o instanceof BlobTooLargeError).map((o) => o.bytes)).toEqual(
      expect.arrayContaining([zeros.length]),
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('reads an object of a pack without holding the pack in memory, and closes its file', async () => {
    // 6 MiB that do not compress, in a repository of its own: a pack of about that size.
    const own = join(scratch, 'large-pack.git');
    await gitCli(['init', '--quiet', '--bare', '--initial-branch=main', own]);
    const noise = (seed: number) => randomBytes(1024 * 1024).toString('base64') + String(seed);
    const files: Record<string, string> = { 'apps/small.yaml': 'kind: Service\n' };
    for (let i = 0; i < 6; i += 1) files[`noise/${i}.txt`] = noise(i);
    const head = await commitWithCli(own, files, 'noise');
    await gitCli(['--git-dir', own, 'repack', '-a', '-d', '-q']);
    const small = (await gitCli(['--git-dir', own, 'rev-parse', `${head}:apps/small.yaml`])).trim();
    const store = new ObjectStore(own);
    const openFiles = async () => (await readdir('/proc/self/fd')).length;
    const filesBefore = await openFiles();
    const before = process.memoryUsage().arrayBuffers;

    const object = store.read(small);
    const held = process.memoryUsage().arrayBuffers - before;

    expect(object?.content.toString()).toBe('kind: Service\n');
    expect(held).toBeLessThan(1024 * 1024);
    store.close();
    expect(await openFiles()).toBe(filesBefore);
  });

  it('counts each object it leaves to isomorphic-git, which still reads it', async () => {
    const head = await commitWithCli(bare, { 'apps/counted.yaml': 'kind: Service\n' }, 'counted');
    const blob = (await gitCli(['--git-dir', bare, 'rev-parse', `${head}:apps/counted.yaml`])).trim();
    const context = (objects: ObjectStore) =>
      ({ gitdir: bare, cache: {}, objects, stats: { objectFallbacks: 0 } }) as unknown as RepositoryContext;

    const fast = context(new ObjectStore(bare));
    expect(await readBlobText(fast, blob)).toBe('kind: Service\n');
    expect(fast.stats.objectFallbacks).toBe(0);

    // A reader that finds nothing (a store laid out as it does not expect): the read is correct, and counted.
    const empty = await mkdtemp(join(tmpdir(), 'gitcanary-objects-empty-'));
    const slow = context(new ObjectStore(empty));
    expect(await readBlobText(slow, blob)).toBe('kind: Service\n');
    expect(await readBlobText(slow, blob)).toBe('kind: Service\n');
    expect(slow.stats.objectFallbacks).toBe(2);
    await rm(empty, { recursive: true, force: true });
  });
});
