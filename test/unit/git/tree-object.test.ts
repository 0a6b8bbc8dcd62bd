import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findTreeEntry,
  serializeTree,
  writeLooseObject,
  type TreeObjectEntry,
} from '../../../src/git/tree-object.js';

const writeTreeObject = (gitdir: string, entries: TreeObjectEntry[]) =>
  writeLooseObject(gitdir, 'tree', serializeTree(entries));

const dir = mkdtempSync(join(tmpdir(), 'tree-object-'));
execFileSync('git', ['init', '--quiet', dir]);
const gitdir = join(dir, '.git');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const git = (args: string[], input?: string) =>
  execFileSync('git', ['--git-dir', gitdir, ...args], { input })
    .toString()
    .trim();
const blob = (text: string) => git(['hash-object', '-w', '--stdin'], text);

describe('a tree written by serializeTree and writeLooseObject', () => {
  it("gives git's own oid, in git's order, for names that sort differently as folders and as bytes", () => {
    const file = blob('a file\n');
    const folder = git(['mktree'], `100644 blob ${file}\tinner\n`);
    const entries: TreeObjectEntry[] = [
      { mode: '040000', path: 'a', oid: folder },
      { mode: '100644', path: 'a.b', oid: file },
      { mode: '100644', path: 'a-b', oid: file },
      { mode: '100755', path: 'run.sh', oid: file },
      { mode: '100644', path: 'é.yaml', oid: file },
      { mode: '100644', path: 'z.yaml', oid: file },
      { mode: '040000', path: 'ab', oid: folder },
    ];
    const listing = entries
      .map(({ mode, path, oid }) => `${mode === '040000' ? '040000 tree' : `${mode} blob`} ${oid}\t${path}`)
      .join('\n');

    const oid = writeTreeObject(gitdir, entries);

    expect(oid).toBe(git(['mktree'], `${listing}\n`));
    expect(git(['cat-file', '-t', oid])).toBe('tree');
    expect(() => git(['fsck', '--strict', '--no-dangling'])).not.toThrow();
  });

  it('writes the empty tree as git names it', () => {
    expect(writeTreeObject(gitdir, [])).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
  });
});

describe('findTreeEntry', () => {
  const oid = (digit: string) => digit.repeat(40);
  const entries: TreeObjectEntry[] = [
    { mode: '040000', path: 'a', oid: oid('1') },
    { mode: '100644', path: 'a b', oid: oid('2') },
    { mode: '100755', path: 'b', oid: oid('3') },
    { mode: '100644', path: 'ba', oid: oid('4') },
    { mode: '100644', path: 'é', oid: oid('5') },
  ];
  const body = serializeTree(entries);
  const oidAt = (slot: { oidAt: number } | undefined) =>
    slot && body.toString('hex', slot.oidAt, slot.oidAt + 20);

  it('finds each entry with its stored mode and oid, by its whole name', () => {
    for (const entry of entries) {
      const slot = findTreeEntry(body, entry.path);
      expect(slot?.mode).toBe(entry.mode === '040000' ? '40000' : entry.mode);
      expect(oidAt(slot)).toBe(entry.oid);
    }
  });

  it('finds no entry by a part of a name, nor in a tree cut short', () => {
    for (const name of ['', ' b', 'b a', 'a b ', 'bb', 'e', 'x'])
      expect(findTreeEntry(body, name)).toBeUndefined();
    expect(findTreeEntry(body.subarray(0, body.length - 5), 'é')).toBeUndefined();
  });

  it('is not misled by an oid whose bytes look like an entry', () => {
    // 0x20 ("a space") and 0x00 inside the oid of the first entry, then "b\0".
    const tricky = serializeTree([
      { mode: '100644', path: 'a', oid: `2062000000${'0'.repeat(30)}` },
      { mode: '100644', path: 'c', oid: oid('6') },
    ]);
    expect(findTreeEntry(tricky, 'b')).toBeUndefined();
    expect(tricky.toString('hex', findTreeEntry(tricky, 'c')?.oidAt)).toBe(oid('6'));
  });
});
