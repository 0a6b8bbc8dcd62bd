// Reads a commit's files from the local store. Listing stops at tree objects and gives blob oids, so a
// caller that caches parsed content by oid reads only the blobs that changed: isomorphic-git's blob
// reads are slow (~30x `git cat-file`), and a poll must not re-read an unchanged repository.
import fs from 'node:fs';
import git from 'isomorphic-git';
import type { RepositoryContext } from './repository.js';

export interface RepositoryFile {
  /** POSIX path from the repository root, no leading slash. */
  path: string;
  /** Blob oid: equal oids mean equal content. */
  oid: string;
}

export async function listFiles(
  ctx: RepositoryContext,
  commitOid: string,
  filter: (path: string) => boolean = () => true,
): Promise<RepositoryFile[]> {
  const { commit } = await git.readCommit({ fs, gitdir: ctx.gitdir, oid: commitOid, cache: ctx.cache });
  const files: RepositoryFile[] = [];
  await walkTree(ctx, commit.tree, '', (file) => {
    if (filter(file.path)) files.push(file);
  });
  return files;
}

export async function readBlobText(ctx: RepositoryContext, oid: string): Promise<string> {
  const { blob } = await git.readBlob({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('utf8');
}

async function walkTree(
  ctx: RepositoryContext,
  treeOid: string,
  prefix: string,
  visit: (file: RepositoryFile) => void,
): Promise<void> {
  const { tree } = await git.readTree({ fs, gitdir: ctx.gitdir, oid: treeOid, cache: ctx.cache });
  for (const entry of tree) {
    const path = `${prefix}${entry.path}`;
    if (entry.type === 'tree') await walkTree(ctx, entry.oid, `${path}/`, visit);
    // Submodules ('commit' entries) have no content in this repository.
    else if (entry.type === 'blob') visit({ path, oid: entry.oid });
  }
}
