// Reads blobs and trees straight from the local store's packs and loose objects, the way
// `git cat-file --batch` does: a binary search in the pack index, one inflate with Node's zlib, deltas
// applied against their base. isomorphic-git's readBlob costs ~0.4 ms an object (it looks for a loose file,
// lists the pack directory and inflates in JavaScript on every call) and keeps every object it ever read
// in memory; a cold start reads one blob per manifest, 16,000 of them at 5,000 Canaries.
//
// Anything this reader does not find or understand is left to isomorphic-git (read-tree.ts falls back), so
// a store it does not expect costs speed, never correctness.
//
// A read may be given a size limit: an object larger than it is refused with BlobTooLargeError before it is
// inflated (packed objects and deltas say their size first) or as soon as inflating passes the limit (loose
// objects), so a blob of a gigabyte of zeros, a few kilobytes in the pack, is never held.
import { closeSync, fstatSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { BlobTooLargeError } from './errors.js';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

export const packTypes: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
export const ofsDelta = 6;
export const refDelta = 7;
/** A delta's base is another version of a file, which may be larger than the file read: a wider bound. */
const baseLimitFactor = 16;
/** An object whose bytes in the pack are no more than this is read in one go (most manifests are ~1 KB). */
const wholeReadBytes = 16 * 1024;

/** An object's header in a pack: its type, its size (of the delta itself, for a delta) and a delta's base. */
export interface EntryHeader {
  code: number;
  size: number;
  /** Of an offset delta: how far before the entry its base starts. */
  baseDistance?: number;
  /** Of a reference delta: its base's id, in hex. */
  baseOid?: string;
  /** Where the entry's zlib stream starts. */
  dataAt: number;
}

/** Reads the header of the entry at `start` of `data` (a pack, or an entry's first bytes). */
export function readEntryHeader(data: Buffer, start: number): EntryHeader {
  let at = start;
  let byte = data[at++] ?? 0;
  const code = (byte >> 4) & 7;
  // The size: 4 bits, then 7 bits a byte.
  let size = byte & 0x0f;
  for (let shift = 4; byte & 0x80; shift += 7) {
    byte = data[at++] ?? 0;
    size += (byte & 0x7f) * 2 ** shift;
  }
  if (code === ofsDelta) {
    byte = data[at++] ?? 0;
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = data[at++] ?? 0;
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    return { code, size, baseDistance: distance, dataAt: at };
  }
  if (code === refDelta) return { code, size, baseOid: data.toString('hex', at, at + 20), dataAt: at + 20 };
  return { code, size, dataAt: at };
}

/**
 * One pack: its index (for lookups), and its data read object by object from an open file. The data is not
 * held: the snapshot's pack is 2.5 MiB at 5,000 Canaries, and after the cold start a poll reads only the few
 * objects that changed, one positioned read each (docs/performance.md, Memory).
 */
class Pack {
  private readonly count: number;
  /** Object start offsets in ascending order, to find where each object's data ends. */
  private sortedOffsets: Float64Array | undefined;
  private file: { fd: number; size: number } | undefined;
  /** Recently resolved delta bases by offset: similar files chain deltas up to 50 deep. */
  private readonly bases = new Map<number, GitObject>();

  constructor(
    private readonly index: Buffer,
    private readonly packPath: string,
  ) {
    if (index.readUInt32BE(0) !== 0xff744f63 || index.readUInt32BE(4) !== 2) {
      throw new Error(`${packPath}: not a version 2 pack index`);
    }
    this.count = index.readUInt32BE(8 + 255 * 4);
  }

  /** The object's offset in the pack, or undefined when this pack does not hold it. */
  offsetOf(oid: Buffer): number | undefined {
    const first = oid[0] ?? 0;
    let low = first === 0 ? 0 : this.index.readUInt32BE(8 + (first - 1) * 4);
    let high = this.index.readUInt32BE(8 + first * 4);
    const shas = 8 + 256 * 4;
    while (low < high) {
      const mid = (low + high) >>> 1;
      // The index's entry against the oid sought: negative when the entry sorts before it.
      const order = this.index.compare(oid, 0, 20, shas + mid * 20, shas + mid * 20 + 20);
      if (order === 0) return this.offsetAt(mid);
      if (order < 0) low = mid + 1;
      else high = mid;
    }
    return undefined;
  }

  /** Closes the pack's file; a later read opens it again. */
  close(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }

  read(offset: number, store: ObjectStore, maxBytes?: number): GitObject {
    // A small object is read whole; of a larger one, its first bytes, so that a blob over the limit is
    // refused on its header alone, as before any of its data is read.
    const end = this.endOf(offset);
    const data = this.bytes(offset, Math.min(end, offset + wholeReadBytes));
    const { code: typeCode, size, baseDistance, baseOid, dataAt: at } = readEntryHeader(data, 0);
    const baseLimit = maxBytes === undefined ? undefined : maxBytes * baseLimitFactor;
    let base: GitObject | undefined;
    if (baseDistance !== undefined) {
      base = this.readBase(offset - baseDistance, store, baseLimit);
    } else if (baseOid !== undefined) {
      base = store.read(baseOid, baseLimit);
      if (!base) throw new Error(`${this.packPath}: delta base not found`);
    } else if (maxBytes !== undefined && size > maxBytes) {
      throw new BlobTooLargeError(size, maxBytes);
    }
    // The size said is the size made: a pack that lies about it is not inflated further.
    const compressed = offset + wholeReadBytes < end ? this.bytes(offset + at, end) : data.subarray(at);
    const content = inflateSync(compressed, {
      maxOutputLength: Math.max(size, 1),
    });
    if (!base) {
      const type = packTypes[typeCode];
      if (!type) throw new Error(`${this.packPath}: unknown object type ${typeCode} at ${offset}`);
      return { type, content };
    }
    return { type: base.type, content: applyDelta(base.content, content, maxBytes) };
  }

  private readBase(offset: number, store: ObjectStore, maxBytes: number | undefined): GitObject {
    const cached = this.bases.get(offset);
    if (cached) {
      if (maxBytes !== undefined && cached.content.length > maxBytes) {
        throw new BlobTooLargeError(cached.content.length, maxBytes);
      }
      return cached;
    }
    const base = this.read(offset, store, maxBytes);
    this.bases.set(offset, base);
    // Oldest first out: a few hundred bases are enough for the chains of one pass over a snapshot.
    if (this.bases.size > 256) this.bases.delete(this.bases.keys().next().value ?? offset);
    return base;
  }

  private open(): { fd: number; size: number } {
    if (!this.file) {
      const fd = openSync(this.packPath, 'r');
      this.file = { fd, size: fstatSync(fd).size };
    }
    return this.file;
  }

  private bytes(start: number, end: number): Buffer {
    const { fd } = this.open();
    const bytes = Buffer.allocUnsafe(Math.max(end - start, 0));
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, start + read);
      if (n === 0) throw new Error(`${this.packPath}: ends inside the object at ${start}`);
      read += n;
    }
    return bytes;
  }

  private offsetAt(position: number): number {
    const offsets = 8 + 256 * 4 + this.count * 24;
    const small = this.index.readUInt32BE(offsets + position * 4);
    if (!(small & 0x80000000)) return small;
    const large = offsets + this.count * 4 + (small & 0x7fffffff) * 8;
    return this.index.readUInt32BE(large) * 2 ** 32 + this.index.readUInt32BE(large + 4);
  }

  private endOf(offset: number): number {
    if (!this.sortedOffsets) {
      const offsets = new Float64Array(this.count);
      for (let i = 0; i < this.count; i += 1) offsets[i] = this.offsetAt(i);
      this.sortedOffsets = offsets.sort();
    }
    const sorted = this.sortedOffsets;
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((sorted[mid] ?? 0) <= offset) low = mid + 1;
      else high = mid;
    }
    // The last object ends where the pack's trailing checksum starts.
    return low < sorted.length ? (sorted[low] ?? 0) : this.open().size - 20;
  }
}

/** The objects of one local store. Packs are found again when an object is not in the known ones. */
export class ObjectStore {
  private packs: Pack[] = [];
  private known = new Set<string>();

  constructor(private readonly gitdir: string) {}

  /**
   * The object, or undefined when neither a loose file nor a pack holds it. BlobTooLargeError when its
   * content is over `maxBytes`.
   */
  read(oid: string, maxBytes?: number): GitObject | undefined {
    const loose = this.readLoose(oid, maxBytes);
    if (loose) return loose;
    const key = Buffer.from(oid, 'hex');
    for (let pass = 0; pass < 2; pass += 1) {
      for (const pack of this.packs) {
        const offset = pack.offsetOf(key);
        if (offset !== undefined) return pack.read(offset, this, maxBytes);
      }
      // A fetch may have added a pack since; look once more.
      if (!this.findNewPacks()) return undefined;
    }
    return undefined;
  }

  private readLoose(oid: string, maxBytes: number | undefined): GitObject | undefined {
    let compressed: Buffer;
    try {
      compressed = readFileSync(join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)));
    } catch {
      return undefined;
    }
    // `<type> <size>\0` comes first: a few bytes beyond the limit are enough to know.
    const header = 32;
    let raw: Buffer;
    try {
      raw = inflateSync(compressed, maxBytes === undefined ? {} : { maxOutputLength: maxBytes + header });
    } catch (error) {
      if (maxBytes !== undefined && (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new BlobTooLargeError(undefined, maxBytes);
      }
      return undefined;
    }
    const space = raw.indexOf(0x20);
    const nul = raw.indexOf(0, space);
    const type = raw.subarray(0, space).toString('ascii') as ObjectType;
    const content = raw.subarray(nul + 1);
    if (maxBytes !== undefined && content.length > maxBytes)
      throw new BlobTooLargeError(content.length, maxBytes);
    return { type, content };
  }

  /** Closes the packs' files (the store is being emptied, or its packs listed again). */
  close(): void {
    for (const pack of this.packs) pack.close();
  }

  private findNewPacks(): boolean {
    const dir = join(this.gitdir, 'objects', 'pack');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return false;
    }
    const indexes = names.filter((name) => name.endsWith('.idx'));
    // Packs deleted by a compaction are dropped; new ones are added.
    if (indexes.length === this.known.size && indexes.every((name) => this.known.has(name))) return false;
    this.close();
    this.known = new Set(indexes);
    this.packs = indexes.map(
      (name) => new Pack(readFileSync(join(dir, name)), join(dir, name.replace(/\.idx$/, '.pack'))),
    );
    return true;
  }
}

/**
 * git's delta format: the result's size, then copies from the base and inserted bytes. BlobTooLargeError
 * when the result would be over `maxBytes`, before anything is made.
 */
export function applyDelta(base: Buffer, delta: Buffer, maxBytes?: number): Buffer {
  let at = 0;
  const size = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = delta[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  if (size() !== base.length) throw new Error('delta does not apply to its base');
  const resultSize = size();
  if (maxBytes !== undefined && resultSize > maxBytes) throw new BlobTooLargeError(resultSize, maxBytes);
  const out = Buffer.allocUnsafe(resultSize);
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++] ?? 0;
    if (op & 0x80) {
      let offset = 0;
      let length = 0;
      for (let bit = 0; bit < 4; bit += 1) if (op & (1 << bit)) offset += (delta[at++] ?? 0) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit += 1)
        if (op & (16 << bit)) length += (delta[at++] ?? 0) * 2 ** (8 * bit);
      if (length === 0) length = 0x10000;
      written += base.copy(out, written, offset, offset + length);
    } else if (op > 0) {
      written += delta.copy(out, written, at, at + op);
      at += op;
    } else {
      throw new Error('delta has an invalid opcode');
    }
  }
  if (written !== out.length) throw new Error('delta produced a result of the wrong size');
  return out;
}
