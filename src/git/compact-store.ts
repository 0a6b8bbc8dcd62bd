// Keeps the local object store from growing without bound. Each fetch adds a pack (small: only what
// changed, see fetch-head.ts), each commit of ours adds loose objects, and the shared cache keeps every
// pack it read. Once the store holds `maxPacks` packs it is emptied before the next fetch, which then
// brings the whole snapshot again (depth 1); the listing memo (read-tree.ts) is kept, since tree oids
// name their content, so the listing after it still reads only the trees that changed.
import fs from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { ObjectStore } from './object-reader.js';
import type { RepositoryContext } from './repository.js';

export async function compactStoreIfFull(ctx: RepositoryContext): Promise<boolean> {
  const packDir = join(ctx.gitdir, 'objects', 'pack');
  const packs = await readdir(packDir).catch(() => []);
  if (packs.filter((name) => name.endsWith('.pack')).length < ctx.maxPacks) return false;
  // Only git's own object files are removed: `dir` is configuration, and a mistaken one must not lose data.
  await Promise.all(
    packs.filter((name) => /^pack-[0-9a-f]+\.(pack|idx)$/.test(name)).map((name) => rm(join(packDir, name))),
  );
  const objects = await readdir(join(ctx.gitdir, 'objects'));
  await Promise.all(
    objects
      .filter((name) => /^[0-9a-f]{2}$/.test(name))
      .map((name) => rm(join(ctx.gitdir, 'objects', name), { recursive: true })),
  );
  // The shallow list and the local head name commits that are gone; the fetch that follows rebuilds both.
  await rm(join(ctx.gitdir, 'shallow'), { force: true });
  await git.deleteRef({ fs, gitdir: ctx.gitdir, ref: ctx.localRef });
  ctx.cache = {};
  ctx.objects = new ObjectStore(ctx.gitdir);
  return true;
}
