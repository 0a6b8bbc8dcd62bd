// Keeps the local object store from growing without bound. Each fetch adds a pack (small: only what
// changed, see fetch-head.ts), each commit of ours adds loose objects, and the shared cache keeps every
// pack it read. Once the store holds `maxPacks` packs it is emptied before the next fetch, which then
// brings the whole snapshot again (depth 1); the listing memo (read-tree.ts) is kept, since tree oids
// name their content, so the listing after it still reads only the trees that changed.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectStore } from './object-reader.js';
import type { RepositoryContext } from './repository-context.js';
import { emptyStore } from './store-health.js';

export async function compactStoreIfFull(ctx: RepositoryContext): Promise<boolean> {
  const packDir = join(ctx.gitdir, 'objects', 'pack');
  const packs = await readdir(packDir).catch(() => []);
  if (packs.filter((name) => name.endsWith('.pack')).length < ctx.maxPacks) return false;
  // The shallow list and the local head name commits that are gone; the fetch that follows rebuilds both.
  await emptyStore(ctx.gitdir);
  forgetStoreContent(ctx);
  return true;
}

/** Drops what the context holds of objects that are gone from the store (caches, the fast reader). */
export function forgetStoreContent(ctx: RepositoryContext): void {
  ctx.cache = {};
  ctx.objects.close();
  ctx.objects = new ObjectStore(ctx.gitdir);
}
