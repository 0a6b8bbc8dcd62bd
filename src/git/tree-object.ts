// Writes trees and blobs into the store as git does. A tree: entries in git's order (a folder sorts as if
// its name ended in `/`), each `<mode> <name>\0<20-byte oid>`. Each object is hashed with its
// `<type> <size>\0` header and stored deflated as a loose object. isomorphic-git's writeTree does the same
// at about 2.5 times the cost (124 ms against 50 ms for 5,000 entries, measured on the loaded machine), and
// a step rewrites the tree of every folder on its path, however wide: `apps/` of 5,000 Canaries is 5,000
// entries at every commit.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

export interface TreeObjectEntry {
  mode: string;
  /** The entry's name (one path segment). */
  path: string;
  oid: string;
}

/** The tree object's content (without its header), entries sorted as git sorts them. */
export function serializeTree(entries: readonly TreeObjectEntry[]): Buffer {
  const keyed = entries.map((entry) => ({
    entry,
    // git compares the names' bytes, not their UTF-16 code units.
    key: Buffer.from(isFolder(entry.mode) ? `${entry.path}/` : entry.path, 'utf8'),
    head: `${isFolder(entry.mode) ? '40000' : entry.mode} ${entry.path}\0`,
  }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const size = keyed.reduce((sum, { head }) => sum + Buffer.byteLength(head, 'utf8') + 20, 0);
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { entry, head } of keyed) {
    at += body.write(head, at, 'utf8');
    at += body.write(entry.oid, at, 'hex');
  }
  return body;
}

/** Stores an object (its content without header) as a loose object, unless held loose already; its oid. */
export function writeLooseObject(gitdir: string, type: 'blob' | 'tree', body: Buffer): string {
  const object = Buffer.concat([Buffer.from(`${type} ${body.length}\0`, 'latin1'), body]);
  const oid = createHash('sha1').update(object).digest('hex');
  const dir = join(gitdir, 'objects', oid.slice(0, 2));
  const path = join(dir, oid.slice(2));
  if (existsSync(path)) return oid;
  mkdirSync(dir, { recursive: true });
  // Written whole under another name first, so a reader never sees half an object.
  const temporary = `${path}.${process.pid}.tmp`;
  // The fastest level: a step's widest tree is mostly object ids, which barely compress at any level.
  writeFileSync(temporary, deflateSync(object, { level: 1 }));
  renameSync(temporary, path);
  return oid;
}

/** Where one entry of a tree object's content is: its mode as stored, and the offset of its 20-byte oid. */
export interface TreeEntrySlot {
  mode: string;
  oidAt: number;
}

/**
 * Finds the entry `name` in a tree object's content without parsing the others: each entry is walked over
 * by its two delimiters, and only a name of the right length is compared. Undefined when absent, or when
 * the content is not a well-formed tree before it is found.
 */
export function findTreeEntry(body: Buffer, name: string): TreeEntrySlot | undefined {
  const wanted = Buffer.from(name, 'utf8');
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) return undefined;
    const nul = body.indexOf(0, space + 1);
    if (nul < 0 || nul + 21 > body.length) return undefined;
    if (nul - space - 1 === wanted.length && wanted.compare(body, space + 1, nul) === 0) {
      return { mode: body.toString('latin1', at, space), oidAt: nul + 1 };
    }
    at = nul + 21;
  }
  return undefined;
}

const isFolder = (mode: string) => mode === '040000' || mode === '40000';
