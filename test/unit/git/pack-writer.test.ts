import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePack, type PackObject } from '../../../src/git/pack-writer.js';
import { serializeTree } from '../../../src/git/tree-object.js';

const gitdir = mkdtempSync(join(tmpdir(), 'pack-writer-'));
execFileSync('git', ['init', '--quiet', '--bare', gitdir]);
afterAll(() => rmSync(gitdir, { recursive: true, force: true }));

const git = (args: string[], input?: Buffer | string) =>
  execFileSync('git', ['--git-dir', gitdir, ...args], { input, maxBuffer: 1 << 26 });
const oidOf = (object: PackObject) =>
  git(['hash-object', '-t', object.type, '--stdin'], object.content).toString().trim();

describe('writePack', () => {
  it('writes a pack git indexes, with every object whole, small and large sizes alike', () => {
    // Sizes across the header's one-, two- and three-byte forms.
    const blobs: PackObject[] = [
      'a',
      'x'.repeat(15),
      'y'.repeat(16),
      'z'.repeat(2047),
      'w'.repeat(300_000),
    ].map((text) => ({ type: 'blob', content: Buffer.from(text) }));
    const tree: PackObject = {
      type: 'tree',
      content: serializeTree(blobs.map((b, i) => ({ mode: '100644', path: `file-${i}`, oid: oidOf(b) }))),
    };
    const author = 'gitcanary <gitcanary@example.com> 1700000000 +0000';
    const commit: PackObject = {
      type: 'commit',
      content: Buffer.from(`tree ${oidOf(tree)}\nauthor ${author}\ncommitter ${author}\n\nstep\n`),
    };
    const objects = [...blobs, tree, commit];

    const pack = writePack(objects);
    const indexed = git(['index-pack', '--stdin', '--strict'], pack).toString();

    expect(indexed).toMatch(/^pack\t[0-9a-f]{40}\n$/);
    for (const object of objects) {
      const oid = oidOf(object);
      expect(git(['cat-file', '-t', oid]).toString().trim()).toBe(object.type);
      expect(git(['cat-file', object.type, oid]).equals(object.content)).toBe(true);
    }
    expect(() => git(['fsck', '--strict', '--no-dangling'])).not.toThrow();
  });

  it('writes an empty pack for a push that only moves a ref', () => {
    expect(git(['index-pack', '--stdin'], writePack([])).toString()).toMatch(/^pack\t[0-9a-f]{40}\n$/);
  });
});
