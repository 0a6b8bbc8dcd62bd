// Reads a commit's files from the local store. Listing stops at tree objects and gives blob oids, so a
// caller that caches parsed content by oid reads only the blobs that changed: isomorphic-git's blob
// reads are slow (~30x `git cat-file`), and a poll must not re-read an unchanged repository.
//
// Tree objects are remembered by oid between listings (a tree's oid names its content), so listing a new
// commit reads only the trees along the paths that changed: the root, `apps/` and `apps/podinfo/` for a
// one-file change, instead of every folder of the repository. Listing the same commit again reads nothing.
import { flat } from '../core/flat-string.js';
import fs from 'node:fs';
import git, { type TreeEntry } from 'isomorphic-git';
import { EventLoopTurns } from '../runtime/event-loop-turns.js';
import { BlobTooLargeError } from './errors.js';
import type { GitObject } from './object-reader.js';
import type { RepositoryContext, TreeListing } from './repository-context.js';

export interface RepositoryFile {
  /** POSIX path from the repository root, no leading slash. */
  path: string;
  /** Blob oid: equal oids mean equal content. */
  oid: string;
  /**
   * Why no path may be made of this entry (`..`, `.git`, a name with a slash): set on an entry of the tree
   * as a hostile pusher wrote it, which is listed, never followed, whatever the filter, so that the caller
   * reports it for its file and goes on.
   */
  refused?: string;
}

/** A path whose blob differs between two commits. */
export interface TreeChange {
  path: string;
  /** Its blob in the first commit; absent: the path is new. */
  before?: string;
  /** Its blob in the second commit; absent: the path is gone. */
  after?: string;
  /** As RepositoryFile.refused: a tree entry of either commit no path may be made of. */
  refused?: string;
}

export interface ReadBlobOptions {
  /** Refuse (BlobTooLargeError) a blob over this many bytes, without inflating it. */
  maxBytes?: number;
}

export async function listFiles(
  ctx: RepositoryContext,
  commitOid: string,
  filter: (path: string) => boolean = () => true,
): Promise<RepositoryFile[]> {
  const files: RepositoryFile[] = [];
  const memo = ctx.listing;
  if (memo?.commit === commitOid) {
    walkKnownTree(memo.trees, memo.root, '', files);
  } else {
    const root = (await readCommitInfo(ctx, commitOid)).tree;
    // Only the trees of this commit are kept, so the memo never holds more than one snapshot's trees.
    const trees = new Map<string, TreeListing>();
    await walkTree(ctx, root, '', files, trees, new EventLoopTurns());
    ctx.listing = { commit: commitOid, root, trees };
  }
  return files.filter((file) => file.refused !== undefined || filter(file.path));
}

/**
 * The files whose blob differs between two commits, found by descending only into the trees whose oid
 * differs: a one-file commit reads the trees along its path, whatever the size of the repository.
 * Entries no path may be made of, in a tree that changed, are given as refused whatever the filter.
 * Undefined when the store does not hold `fromCommit`.
 */
export async function listChanges(
  ctx: RepositoryContext,
  fromCommit: string,
  toCommit: string,
  filter: (path: string) => boolean = () => true,
): Promise<TreeChange[] | undefined> {
  let from: string;
  try {
    from = (await readCommitInfo(ctx, fromCommit)).tree;
  } catch {
    // A store made again (store repair) no longer holds the older commit: the caller lists instead.
    return undefined;
  }
  const to = (await readCommitInfo(ctx, toCommit)).tree;
  const changes: TreeChange[] = [];
  await diffTree(ctx, from, to, '', changes, new EventLoopTurns());
  return changes.filter((change) => change.refused !== undefined || filter(change.path));
}

async function diffTree(
  ctx: RepositoryContext,
  beforeOid: string | undefined,
  afterOid: string | undefined,
  prefix: string,
  changes: TreeChange[],
  turns: EventLoopTurns,
): Promise<void> {
  if (beforeOid === afterOid) return;
  while (turns.spent()) await turns.next();
  const listingOf = async (oid: string | undefined) =>
    oid === undefined ? [] : (ctx.listing?.trees.get(oid) ?? (await readListing(ctx, oid)));
  const differing =
    beforeOid !== undefined && afterOid !== undefined && differingEntries(ctx, beforeOid, afterOid);
  const [beforeList, after] = differing || [await listingOf(beforeOid), await listingOf(afterOid)];
  const before = new Map(beforeList.map((entry) => [entry.name, entry]));
  const named = new Set<string>();
  for (const entry of after) {
    named.add(entry.name);
    const old = before.get(entry.name);
    if (old?.oid === entry.oid && old.tree === entry.tree) continue;
    await diffEntry(ctx, old, entry, prefix, changes, turns);
  }
  for (const [name, old] of before) {
    if (!named.has(name)) await diffEntry(ctx, old, undefined, prefix, changes, turns);
  }
}

/**
 * The entries of two versions of a tree, less those both begin and end with byte for byte: a commit that
 * changes one entry of `apps/` (5,000 entries) parses one entry on each side, not 5,000. Names are unique
 * in a tree, so no entry left out has a namesake among those given. False when a tree is not in the object
 * reader's store or not well formed: the caller reads them whole.
 */
function differingEntries(
  ctx: RepositoryContext,
  beforeOid: string,
  afterOid: string,
): [TreeListing, TreeListing] | false {
  let before: GitObject | undefined;
  let after: GitObject | undefined;
  try {
    [before, after] = [ctx.objects.read(beforeOid), ctx.objects.read(afterOid)];
  } catch {
    return false;
  }
  if (before?.type !== 'tree' || after?.type !== 'tree') return false;
  const [a, b] = [entryStarts(before.content), entryStarts(after.content)];
  if (!a || !b) return false;
  const same = (i: number, j: number) =>
    before.content.compare(after.content, b[j] ?? 0, b[j + 1] ?? 0, a[i] ?? 0, a[i + 1] ?? 0) === 0;
  let head = 0;
  while (head < a.length - 1 && head < b.length - 1 && same(head, head)) head += 1;
  let [endA, endB] = [a.length - 1, b.length - 1];
  while (endA > head && endB > head && same(endA - 1, endB - 1)) [endA, endB] = [endA - 1, endB - 1];
  const listing = (content: Buffer, from = 0, to = 0) => asListing(parseTree(content.subarray(from, to)));
  return [listing(before.content, a[head], a[endA]), listing(after.content, b[head], b[endB])];
}

/** Where each entry of a tree object's content starts, then its length; undefined when it is not well formed. */
function entryStarts(content: Buffer): number[] | undefined {
  const starts = [0];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = space < 0 ? -1 : content.indexOf(0, space);
    if (nul < 0 || nul + 21 > content.length) return undefined;
    at = nul + 21;
    starts.push(at);
  }
  return starts;
}

/** One name of a tree that differs: a blob given, a tree descended into, on either side. */
async function diffEntry(
  ctx: RepositoryContext,
  old: TreeListing[number] | undefined,
  now: TreeListing[number] | undefined,
  prefix: string,
  changes: TreeChange[],
  turns: EventLoopTurns,
): Promise<void> {
  const name = (now ?? old)?.name ?? '';
  const path = flat(prefix, name);
  const refused = refusedEntryName(name);
  if (refused) {
    changes.push({ path, refused });
    return;
  }
  const blobBefore = old && !old.tree ? old.oid : undefined;
  const blobAfter = now && !now.tree ? now.oid : undefined;
  if (blobBefore !== undefined || blobAfter !== undefined) {
    changes.push({
      path,
      ...(blobBefore !== undefined ? { before: blobBefore } : {}),
      ...(blobAfter !== undefined ? { after: blobAfter } : {}),
    });
  }
  const treeBefore = old?.tree ? old.oid : undefined;
  const treeAfter = now?.tree ? now.oid : undefined;
  if (treeBefore !== undefined || treeAfter !== undefined) {
    await diffTree(ctx, treeBefore, treeAfter, `${path}/`, changes, turns);
  }
}

/**
 * Why a tree entry's name cannot be a part of a path, or undefined when it can. git itself refuses these
 * names (fsck, checkout), but nothing stops a push of a tree made with its plumbing.
 */
function refusedEntryName(name: string): string | undefined {
  const quoted = JSON.stringify(name);
  if (name === '' || name === '.' || name === '..') return `the tree entry ${quoted} names no file`;
  if (/[/\\\0]/.test(name)) return `the tree entry name ${quoted} holds a path separator`;
  if (name.toLowerCase() === '.git') return `the tree entry ${quoted} is git's own folder`;
  return undefined;
}

export async function readBlobText(
  ctx: RepositoryContext,
  oid: string,
  options: ReadBlobOptions = {},
): Promise<string> {
  const { maxBytes } = options;
  const object = readFast(ctx, oid, maxBytes);
  if (object?.type === 'blob') return object.content.toString('utf8');
  const { blob } = await git.readBlob({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
  if (maxBytes !== undefined && blob.byteLength > maxBytes)
    throw new BlobTooLargeError(blob.byteLength, maxBytes);
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('utf8');
}

/** A commit's tree and parents. */
export async function readCommitInfo(
  ctx: RepositoryContext,
  oid: string,
): Promise<{ tree: string; parents: string[] }> {
  const object = readFast(ctx, oid);
  if (object?.type === 'commit') {
    // The header: `tree <oid>`, then one `parent <oid>` line per parent.
    const header = object.content.toString('latin1', 0, object.content.indexOf('\n\n'));
    const tree = /^tree ([0-9a-f]{40})$/m.exec(header)?.[1];
    const parents = [...header.matchAll(/^parent ([0-9a-f]{40})$/gm)].map((m) => m[1] ?? '');
    if (tree) return { tree, parents };
  }
  const { commit } = await git.readCommit({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
  return { tree: commit.tree, parents: commit.parent };
}

/** A tree's entries in git's order, as isomorphic-git gives them (submodules included). */
export async function readTreeEntries(ctx: RepositoryContext, oid: string): Promise<TreeEntry[]> {
  const object = readFast(ctx, oid);
  if (object?.type === 'tree') return parseTree(object.content);
  return (await git.readTree({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache })).tree;
}

/** Any object, whole: from object-reader.ts, or else from isomorphic-git. */
export async function readObject(ctx: RepositoryContext, oid: string): Promise<GitObject> {
  const object = readFast(ctx, oid);
  if (object) return object;
  const { type, object: content } = await git.readObject({
    fs,
    gitdir: ctx.gitdir,
    oid,
    format: 'content',
    cache: ctx.cache,
  });
  if (type !== 'commit' && type !== 'tree' && type !== 'blob' && type !== 'tag') {
    throw new Error(`${oid}: not a git object type: ${String(type)}`);
  }
  return { type, content: Buffer.from(content as Uint8Array) };
}

/** The object from object-reader.ts, or undefined (counted) to let isomorphic-git read it. */
function readFast(ctx: RepositoryContext, oid: string, maxBytes?: number): GitObject | undefined {
  let object: GitObject | undefined;
  try {
    object = ctx.objects.read(oid, maxBytes);
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw error;
  }
  if (!object) ctx.stats.objectFallbacks += 1;
  return object;
}

async function walkTree(
  ctx: RepositoryContext,
  treeOid: string,
  prefix: string,
  files: RepositoryFile[],
  trees: Map<string, TreeListing>,
  turns: EventLoopTurns,
): Promise<void> {
  while (turns.spent()) await turns.next();
  const listing = trees.get(treeOid) ?? ctx.listing?.trees.get(treeOid) ?? (await readListing(ctx, treeOid));
  trees.set(treeOid, listing);
  for (const { name, oid, tree } of listing) {
    const refused = refusedEntryName(name);
    if (refused) files.push({ path: flat(prefix, name), oid, refused });
    else if (tree) await walkTree(ctx, oid, flat(prefix, name, '/'), files, trees, turns);
    else files.push({ path: flat(prefix, name), oid });
  }
}

function walkKnownTree(
  trees: ReadonlyMap<string, TreeListing>,
  treeOid: string,
  prefix: string,
  files: RepositoryFile[],
): void {
  for (const { name, oid, tree } of trees.get(treeOid) ?? []) {
    const refused = refusedEntryName(name);
    if (refused) files.push({ path: flat(prefix, name), oid, refused });
    else if (tree) walkKnownTree(trees, oid, flat(prefix, name, '/'), files);
    else files.push({ path: flat(prefix, name), oid });
  }
}

async function readListing(ctx: RepositoryContext, treeOid: string): Promise<TreeListing> {
  return asListing(await readTreeEntries(ctx, treeOid));
}

/** A tree's entries as a listing: submodules ('commit' entries) have no content in this repository. */
function asListing(entries: readonly TreeEntry[]): TreeListing {
  return entries
    .filter((entry) => entry.type === 'tree' || entry.type === 'blob')
    .map((entry) => ({ name: entry.path, oid: entry.oid, tree: entry.type === 'tree' }));
}

/** A tree object's entries: `<mode> <name>\0<20-byte oid>`, in git's order. */
function parseTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space);
    // git writes directories as `40000`; isomorphic-git's entries say `040000`.
    const mode = content.toString('ascii', at, space).padStart(6, '0');
    const path = content.toString('utf8', space + 1, nul);
    const oid = content.toString('hex', nul + 1, nul + 21);
    at = nul + 21;
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    entries.push({ mode, path, oid, type });
  }
  return entries;
}
