// index-pack.ts against `git index-pack`: for the same pack, the same index, byte for byte; and the packs
// it must refuse (cut short, damaged, thin) refused.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexPack, PackFormatError } from '../../../src/git/index-pack.js';
import { commitDeltaHistory, gitCli } from '../../support/git-cli.js';

const execFileAsync = promisify(execFile);

/** `git pack-objects --stdout` of `revisions`, as bytes. */
async function packOf(gitDir: string, revisions: string, options: string[]): Promise<Buffer> {
  const child = execFileAsync(
    'git',
    ['--git-dir', gitDir, 'pack-objects', '--stdout', '-q', '--revs', ...options],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  child.child.stdin?.end(`${revisions}\n`);
  return (await child).stdout;
}

describe('indexPack', () => {
  let scratch: string;
  let bare: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'gitcanary-index-pack-'));
    bare = join(scratch, 'repo.git');
    await gitCli(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    // Near-identical files changed over a few commits: most are packed as deltas, some chained. With an
    // empty file, and one larger than a zlib window.
    await commitDeltaHistory(bare, 60, 4, (version) => ({
      'empty.txt': '',
      'large.txt': `${'line of text\n'.repeat(6000)}${version}\n`,
    }));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    ['offset deltas', ['--delta-base-offset']],
    ['reference deltas', []],
  ])('makes the index git makes, for a pack with %s', async (_, options) => {
    const pack = await packOf(bare, 'main', ['--depth=50', '--window=250', ...options]);
    const named = join(scratch, `pack-${options.length}`);
    await writeFile(`${named}.pack`, pack);
    await gitCli([
      '--git-dir',
      bare,
      'index-pack',
      '--index-version=2',
      '-o',
      `${named}.idx`,
      `${named}.pack`,
    ]);
    const expected = await readFile(`${named}.idx`);

    const indexed = indexPack(pack);

    expect(indexed.index.equals(expected)).toBe(true);
    expect(indexed.checksum).toBe(pack.subarray(pack.length - 20).toString('hex'));
    const objects = (await gitCli(['--git-dir', bare, 'rev-list', '--objects', 'main'])).trim().split('\n');
    expect(indexed.count).toBe(objects.length);
    // The pack does hold deltas, so they were resolved.
    const verified = await gitCli(['--git-dir', bare, 'verify-pack', '-v', `${named}.idx`]);
    expect(verified).toMatch(/chain length = [2-9]/);
  });

  it('refuses a pack cut short, a damaged one, and a thin one whose bases it lacks', async () => {
    const pack = await packOf(bare, 'main', ['--delta-base-offset']);
    expect(() => indexPack(pack.subarray(0, pack.length - 100))).toThrow(PackFormatError);
    const damaged = Buffer.from(pack);
    damaged[pack.length >> 1] = (damaged[pack.length >> 1] ?? 0) ^ 0xff;
    expect(() => indexPack(damaged)).toThrow(/checksum/);
    expect(() => indexPack(Buffer.from('PACK but not really, and long enough to read'))).toThrow(
      PackFormatError,
    );

    // What the last commit added, as deltas against objects of the one before, which it leaves out.
    const thin = await packOf(bare, 'main\n^main~1', ['--thin', '--delta-base-offset']);
    expect(() => indexPack(thin)).toThrow(/base outside the pack/);
  });
});
