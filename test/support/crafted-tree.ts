// Tree entries no git client makes (`..`, `.git`, a name with a slash), written with git's plumbing into a
// commit on top of a bare repository's main branch, as a hostile pusher could: `git mktree` refuses a
// slash, so trees are hashed from their raw bytes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export interface CraftedEntry {
  /** The folder that holds the entry ('' for the root); made when missing. */
  parent: string;
  name: string;
  /** A blob with this text, or a tree holding these files (name → text). */
  content: string | Record<string, string>;
}

interface RawEntry {
  mode: string;
  name: string;
  oid: string;
}

async function git(bareDir: string, args: string[], input?: Buffer | string): Promise<string> {
  const child = execFileAsync('git', ['--git-dir', bareDir, ...args], { env, encoding: 'buffer' });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout.toString('utf8');
}

/** Commits the entries on top of `main` (author "A Pusher") and moves `main` to it; returns the commit. */
export async function commitCraftedEntries(bareDir: string, entries: CraftedEntry[]): Promise<string> {
  const head = (await git(bareDir, ['rev-parse', 'refs/heads/main'])).trim();
  const rootTree = (await git(bareDir, ['rev-parse', `${head}^{tree}`])).trim();
  let root = rootTree;
  for (const entry of entries) {
    const oid =
      typeof entry.content === 'string'
        ? await blob(bareDir, entry.content)
        : await tree(bareDir, entry.content);
    const mode = typeof entry.content === 'string' ? '100644' : '40000';
    root = await withEntry(bareDir, root, entry.parent.split('/').filter(Boolean), {
      mode,
      name: entry.name,
      oid,
    });
  }
  const commit = (
    await git(bareDir, [
      '-c',
      'user.name=A Pusher',
      '-c',
      'user.email=pusher@example.test',
      'commit-tree',
      root,
      '-p',
      head,
      '-m',
      'crafted tree entries',
    ])
  ).trim();
  await git(bareDir, ['update-ref', 'refs/heads/main', commit, head]);
  return commit;
}

async function blob(bareDir: string, text: string): Promise<string> {
  return (await git(bareDir, ['hash-object', '-w', '--stdin'], text)).trim();
}

async function tree(bareDir: string, files: Record<string, string>): Promise<string> {
  const entries: RawEntry[] = [];
  for (const [name, text] of Object.entries(files))
    entries.push({ mode: '100644', name, oid: await blob(bareDir, text) });
  return writeTree(bareDir, entries);
}

/** `treeOid` with `entry` added (or replaced) in the folder `path` below it. */
async function withEntry(
  bareDir: string,
  treeOid: string | undefined,
  path: string[],
  entry: RawEntry,
): Promise<string> {
  const entries = treeOid ? await readTree(bareDir, treeOid) : [];
  const [first, ...rest] = path;
  const added =
    first === undefined
      ? entry
      : {
          mode: '40000',
          name: first,
          oid: await withEntry(bareDir, entries.find((e) => e.name === first)?.oid, rest, entry),
        };
  return writeTree(bareDir, [...entries.filter((e) => e.name !== added.name), added]);
}

async function readTree(bareDir: string, treeOid: string): Promise<RawEntry[]> {
  const listing = await git(bareDir, ['ls-tree', '-z', treeOid]);
  return listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', name = ''] = line.split('\t');
      const [mode = '', , oid = ''] = meta.split(' ');
      return { mode: mode === '040000' ? '40000' : mode, name, oid };
    });
}

async function writeTree(bareDir: string, entries: RawEntry[]): Promise<string> {
  // git's order: by name, a tree's name compared as if it ended with a slash.
  const key = (e: RawEntry) => Buffer.from(e.mode === '40000' ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
  const raw = Buffer.concat(
    sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')])),
  );
  return (await git(bareDir, ['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'], raw)).trim();
}
