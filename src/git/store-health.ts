// The local store checks itself, because git is the source of truth and the store only a cache of it: a
// process killed while writing a pack index, a torn loose object or ref, a disk that filled up, each leaves
// a store that fails every read ("Could not find <oid>") until someone deletes it. The check runs at start
// and after any failure that is not the remote's; a store found damaged is emptied, and the next poll
// fetches the branch again (depth 1). What it checks is what a torn write breaks, cheaply: each pack index
// (its own checksum, its size, and that its pack ends with the checksum it records), each loose object
// (inflates, and hashes to its name), the local head and the shallow list (well formed, and the head's
// commit readable).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

const oidPattern = /^[0-9a-f]{40}$/;

/** What is wrong with the store at `gitdir`, one line per problem; empty when it is sound. */
export async function inspectStore(gitdir: string, localRef: string): Promise<string[]> {
  const problems: string[] = [];
  const packDir = join(gitdir, 'objects', 'pack');
  const packFiles = await readdir(packDir).catch(() => [] as string[]);
  for (const name of packFiles.filter((n) => /^pack-[0-9a-f]+\.idx$/.test(n))) {
    const problem = await inspectPack(join(packDir, name), join(packDir, name.replace(/\.idx$/, '.pack')));
    if (problem) problems.push(`objects/pack/${name}: ${problem}`);
  }
  for (const name of packFiles.filter((n) => /^pack-[0-9a-f]+\.pack$/.test(n))) {
    if (!packFiles.includes(name.replace(/\.pack$/, '.idx')))
      problems.push(`objects/pack/${name}: no index (a fetch was cut short)`);
  }
  for (const dir of (await readdir(join(gitdir, 'objects')).catch(() => [] as string[])).filter((n) =>
    /^[0-9a-f]{2}$/.test(n),
  )) {
    for (const rest of await readdir(join(gitdir, 'objects', dir)).catch(() => [] as string[])) {
      const problem = await inspectLooseObject(join(gitdir, 'objects', dir, rest), `${dir}${rest}`);
      if (problem) problems.push(`objects/${dir}/${rest}: ${problem}`);
    }
  }
  const shallow = await readFile(join(gitdir, 'shallow'), 'utf8').catch(() => '');
  if (shallow.split('\n').some((line) => line !== '' && !oidPattern.test(line)))
    problems.push('shallow: not a list of commit ids');
  const head = await readFile(join(gitdir, localRef), 'utf8').catch(() => undefined);
  if (head !== undefined && !oidPattern.test(head.trim())) problems.push(`${localRef}: not a commit id`);
  return problems;
}

async function inspectPack(idxPath: string, packPath: string): Promise<string | undefined> {
  const index = await readFile(idxPath);
  const header = 8 + 256 * 4;
  if (index.length < header + 40 || index.readUInt32BE(0) !== 0xff744f63 || index.readUInt32BE(4) !== 2)
    return 'not a version 2 pack index';
  const body = index.subarray(0, index.length - 20);
  if (
    !createHash('sha1')
      .update(body)
      .digest()
      .equals(index.subarray(index.length - 20))
  )
    return 'index checksum mismatch (torn write)';
  const count = index.readUInt32BE(header - 4);
  const large = (index.length - header - count * 28 - 40) / 8;
  if (!Number.isInteger(large) || large < 0) return 'index size does not match its object count';
  const packChecksum = index.subarray(index.length - 40, index.length - 20);
  let size: number;
  try {
    size = (await stat(packPath)).size;
  } catch {
    return 'its pack is missing';
  }
  if (size < 32) return 'its pack is truncated';
  const pack = await readFile(packPath);
  if (pack.toString('latin1', 0, 4) !== 'PACK' || pack.readUInt32BE(8) !== count)
    return 'its pack does not hold the objects the index lists';
  if (!pack.subarray(pack.length - 20).equals(packChecksum))
    return 'its pack does not end as indexed (torn write)';
  return undefined;
}

async function inspectLooseObject(path: string, oid: string): Promise<string | undefined> {
  if (!oidPattern.test(oid)) return undefined; // not an object file (a temporary one, say): left alone
  let raw: Buffer;
  try {
    raw = inflateSync(await readFile(path));
  } catch {
    return 'does not inflate (torn write)';
  }
  const nul = raw.indexOf(0);
  const size = Number(
    /^(?:blob|tree|commit|tag) (\d+)$/.exec(raw.toString('latin1', 0, Math.max(nul, 0)))?.[1],
  );
  if (nul < 0 || raw.length - nul - 1 !== size) return 'malformed object header';
  if (createHash('sha1').update(raw).digest('hex') !== oid) return 'content does not match its id';
  return undefined;
}

/**
 * Removes what a fetch rebuilds: packs, loose objects, the shallow list, and the refs gitcanary writes.
 * Only git's own files are touched: the directory is configuration, and a mistaken one must not lose data.
 */
export async function emptyStore(gitdir: string): Promise<void> {
  const packDir = join(gitdir, 'objects', 'pack');
  const packs = await readdir(packDir).catch(() => [] as string[]);
  await Promise.all(
    packs
      // With the temporary files a fetch writes before renaming them (upload-pack.ts), left by a kill.
      .filter((name) => /^pack-[0-9a-f]+\.(pack|idx|keep)(\.[0-9a-f]+\.tmp)?$/.test(name))
      .map((name) => rm(join(packDir, name))),
  );
  const objects = await readdir(join(gitdir, 'objects')).catch(() => [] as string[]);
  await Promise.all(
    objects
      .filter((name) => /^[0-9a-f]{2}$/.test(name))
      .map((name) => rm(join(gitdir, 'objects', name), { recursive: true })),
  );
  await rm(join(gitdir, 'shallow'), { force: true });
  for (const refs of ['refs/heads', 'refs/remotes', 'refs/gitcanary']) {
    await rm(join(gitdir, refs), { recursive: true, force: true });
    await mkdir(join(gitdir, refs), { recursive: true });
  }
}
