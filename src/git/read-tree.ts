// Reads a commit's files from the local store. Listing stops at tree objects and gives blob oids, so a
// caller that caches parsed content by oid reads only the blobs that changed: isomorphic-git's blob
// reads are slow (~30x `git cat-file`), and a poll must not re-read an unchanged repository.
//
// Tree objects are remembered by oid between listings (a tree's oid names its content), so listing a new
// commit reads only the trees along the paths that changed: the root, `apps/` and `apps/podinfo/` for a
// one-file change, instead of every folder of the repository. Listing the same commit again reads nothing.
import fs from 'node:fs';
import git from 'isomorphic-git';
import type { RepositoryContext } from './repository.js';

export interface RepositoryFile {
  /** POSIX path from the repository root, no leading slash. */
  path: string;
  /** Blob oid: equal oids mean equal content. */
  oid: string;
}

/** A tree's entries as listing needs them, in git's order: blobs and subtrees, nothing else. */
export type TreeListing = { name: string; oid: string; tree: boolean }[];

/** What the last listing read, kept for the next one (see RepositoryContext.listing). */
export interface ListingMemo {
  commit: string;
  files: RepositoryFile[];
  trees: Map<string, TreeListing>;
}

export async function listFiles(
  ctx: RepositoryContext,
  commitOid: string,
  filter: (path: string) => boolean = () => true,
): Promise<RepositoryFile[]> {
  let memo = ctx.listing;
  if (memo?.commit !== commitOid) {
    const { commit } = await git.readCommit({ fs, gitdir: ctx.gitdir, oid: commitOid, cache: ctx.cache });
    // Only the trees of this commit are kept, so the memo never holds more than one snapshot's trees.
    const trees = new Map<string, TreeListing>();
    const files: RepositoryFile[] = [];
    await walkTree(ctx, commit.tree, '', files, trees);
    memo = { commit: commitOid, files, trees };
    ctx.listing = memo;
  }
  return memo.files.filter((file) => filter(file.path));
}

export async function readBlobText(ctx: RepositoryContext, oid: string): Promise<string> {
  const { blob } = await git.readBlob({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('utf8');
}

async function walkTree(
  ctx: RepositoryContext,
  treeOid: string,
  prefix: string,
  files: RepositoryFile[],
  trees: Map<string, TreeListing>,
): Promise<void> {
  const listing = trees.get(treeOid) ?? ctx.listing?.trees.get(treeOid) ?? (await readListing(ctx, treeOid));
  trees.set(treeOid, listing);
  for (const { name, oid, tree } of listing) {
    if (tree) await walkTree(ctx, oid, `${prefix}${name}/`, files, trees);
    else files.push({ path: `${prefix}${name}`, oid });
  }
}

async function readListing(ctx: RepositoryContext, treeOid: string): Promise<TreeListing> {
  const { tree } = await git.readTree({ fs, gitdir: ctx.gitdir, oid: treeOid, cache: ctx.cache });
  // Submodules ('commit' entries) have no content in this repository.
  return tree
    .filter((entry) => entry.type === 'tree' || entry.type === 'blob')
    .map((entry) => ({ name: entry.path, oid: entry.oid, tree: entry.type === 'tree' }));
}
