// Builds a commit straight into the object store: new blobs for the changed files, new trees only along
// the changed paths (every other subtree keeps its oid), then the commit. No index, no checkout, no
// clock: the same parent, changes, message, author and timestamp always give the same oid.
import fs from 'node:fs';
import git, { type TreeEntry } from 'isomorphic-git';
import { readCommitInfo, readObject, readTreeEntries } from './read-tree.js';
import type { RepositoryContext, WrittenObject } from './repository-context.js';
import { findTreeEntry, serializeTree, writeLooseObject, type TreeEntrySlot } from './tree-object.js';

/**
 * Commits written and not pushed whose objects are kept for their push; past this, the oldest are read
 * back from the store. Bounded because a step's trees are as wide as its folders (200 KB for `apps/` at
 * 5,000 Canaries), and a pass of many steps pushes them all at once.
 */
const maxWrittenKept = 16;

export interface FileChange {
  /** POSIX path from the repository root. */
  path: string;
  /** The new content (utf8), or null to delete the file. */
  content: string | null;
}

export interface CommitInput {
  parent: string;
  changes: FileChange[];
  message: string;
  author: { name: string; email: string };
  /** Seconds since the epoch, UTC; used for author and committer. */
  timestamp: number;
}

interface PendingChange {
  /** Path segments below the tree being rewritten. */
  segments: string[];
  path: string;
  content: string | null;
}

export async function writeCommit(ctx: RepositoryContext, input: CommitInput): Promise<string> {
  if (!Number.isInteger(input.timestamp) || input.timestamp < 0) {
    throw new RangeError(`commit timestamp must be whole seconds, got ${input.timestamp}`);
  }
  const changes = toPendingChanges(input.changes);
  const parent = await readCommitInfo(ctx, input.parent);
  const written: WrittenObject[] = [];
  // The root is the one tree that may be empty: a repository whose last file was deleted.
  const tree =
    (await rewriteTree(ctx, parent.tree, changes, written)) ??
    writeObject(ctx, 'tree', Buffer.alloc(0), written);
  const signature = { ...input.author, timestamp: input.timestamp, timezoneOffset: 0 };
  const oid = await git.writeCommit({
    fs,
    gitdir: ctx.gitdir,
    commit: {
      message: input.message.endsWith('\n') ? input.message : `${input.message}\n`,
      tree,
      parent: [input.parent],
      author: signature,
      committer: signature,
    },
  });
  const commit = ctx.objects.read(oid);
  if (commit) {
    ctx.written.set(oid, { parent: input.parent, objects: [...written, { oid, ...commit }] });
    for (const old of ctx.written.keys()) {
      if (ctx.written.size <= maxWrittenKept) break;
      ctx.written.delete(old);
    }
  }
  return oid;
}

/** Stores a blob or a tree, and keeps it for the push. */
function writeObject(
  ctx: RepositoryContext,
  type: 'blob' | 'tree',
  content: Buffer,
  written: WrittenObject[],
): string {
  const oid = writeLooseObject(ctx.gitdir, type, content);
  written.push({ oid, type, content });
  return oid;
}

/** Returns the new tree's oid, or undefined when nothing is left in it (git stores no empty trees). */
async function rewriteTree(
  ctx: RepositoryContext,
  treeOid: string | undefined,
  changes: PendingChange[],
  written: WrittenObject[],
): Promise<string | undefined> {
  const patched = treeOid === undefined ? undefined : await patchTree(ctx, treeOid, changes, written);
  if (patched !== undefined) return patched;
  const entries = new Map<string, TreeEntry>();
  if (treeOid !== undefined) {
    for (const entry of await readTreeEntries(ctx, treeOid)) entries.set(entry.path, entry);
  }

  for (const [name, group] of groupByFirstSegment(changes)) {
    const existing = entries.get(name);
    const own = group.find((change) => change.segments.length === 1);
    if (own) {
      if (group.length > 1) throw new Error(`${own.path}: changed both as a file and as a directory`);
      if (existing?.type === 'tree') throw new Error(`${own.path}: is a directory in the parent commit`);
      if (own.content === null) {
        entries.delete(name);
        continue;
      }
      const oid = writeObject(ctx, 'blob', Buffer.from(own.content, 'utf8'), written);
      // Keep an executable bit someone set on purpose; anything else becomes a regular file.
      const mode = existing?.mode === '100755' ? '100755' : '100644';
      entries.set(name, { mode, path: name, oid, type: 'blob' });
    } else {
      if (existing !== undefined && existing.type !== 'tree') {
        const first = group[0]?.path ?? name;
        throw new Error(`${first}: a parent directory is a file in the parent commit`);
      }
      const below = group.map((change) => ({ ...change, segments: change.segments.slice(1) }));
      const oid = await rewriteTree(ctx, existing?.oid, below, written);
      if (oid === undefined) entries.delete(name);
      else entries.set(name, { mode: '040000', path: name, oid, type: 'tree' });
    }
  }

  if (entries.size === 0) return undefined;
  // Sorted into git's order, so the oid does not depend on the order of `changes`.
  return writeObject(ctx, 'tree', serializeTree([...entries.values()]), written);
}

/**
 * The common step: every change gives an entry that exists a new content of the same kind (a file stays a
 * regular file, a folder a folder, nothing added or deleted). Then only those entries' oids change, in a
 * copy of the tree's content; the other entries (5,000 in `apps/` at 5,000 apps) are neither parsed nor
 * sorted nor serialized again, and stay byte for byte as they were. Undefined when a change is of another
 * kind: the caller rebuilds the tree, and has written nothing twice, since the checks come first.
 */
async function patchTree(
  ctx: RepositoryContext,
  treeOid: string,
  changes: PendingChange[],
  written: WrittenObject[],
): Promise<string | undefined> {
  if (changes.some((change) => change.content === null)) return undefined;
  const tree = await readObject(ctx, treeOid);
  if (tree.type !== 'tree') return undefined;
  const slots: { slot: TreeEntrySlot; group: PendingChange[] }[] = [];
  for (const [name, group] of groupByFirstSegment(changes)) {
    const slot = findTreeEntry(tree.content, name);
    if (!slot) return undefined;
    const own = group.some((change) => change.segments.length === 1);
    const sameKind = own
      ? group.length === 1 && (slot.mode === '100644' || slot.mode === '100755')
      : slot.mode === '40000';
    if (!sameKind) return undefined;
    slots.push({ slot, group });
  }
  const body = Buffer.from(tree.content);
  for (const { slot, group } of slots) {
    const [own] = group;
    let oid: string | undefined;
    if (own?.segments.length === 1) {
      oid = writeObject(ctx, 'blob', Buffer.from(own.content ?? '', 'utf8'), written);
    } else {
      const below = group.map((change) => ({ ...change, segments: change.segments.slice(1) }));
      oid = await rewriteTree(ctx, body.toString('hex', slot.oidAt, slot.oidAt + 20), below, written);
    }
    // Unreachable: nothing is deleted, so no folder below is left empty.
    if (oid === undefined)
      throw new Error(`${treeOid}: a folder left empty by a change that deletes nothing`);
    body.write(oid, slot.oidAt, 'hex');
  }
  return writeObject(ctx, 'tree', body, written);
}

function groupByFirstSegment(changes: PendingChange[]): Map<string, PendingChange[]> {
  const groups = new Map<string, PendingChange[]>();
  for (const change of changes) {
    const [first] = change.segments;
    if (first === undefined) continue;
    const group = groups.get(first);
    if (group) group.push(change);
    else groups.set(first, [change]);
  }
  return groups;
}

function toPendingChanges(changes: FileChange[]): PendingChange[] {
  const seen = new Set<string>();
  return changes.map(({ path, content }) => {
    const segments = path.split('/');
    const bad = segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || segment.toLowerCase() === '.git',
    );
    if (bad || path.includes('\0'))
      throw new Error(`${JSON.stringify(path)}: not a relative POSIX file path`);
    if (seen.has(path)) throw new Error(`${path}: changed twice in one commit`);
    seen.add(path);
    return { segments, path, content };
  });
}
