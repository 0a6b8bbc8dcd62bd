// The index of a received pack, made as `git index-pack` makes it: each object's id (the SHA-1 of its
// type, size and content), the CRC-32 of its bytes in the pack and its offset, sorted by id, in the
// version 2 `.idx` format that git, isomorphic-git and object-reader.ts read.
//
// isomorphic-git's fetch indexed packs in JavaScript and held every object of the pack inflated while it
// resolved deltas: at 5,000 Canaries the first fetch's 26,676 objects (15.5 MiB inflated) were most of
// the process's peak memory, and glibc kept their freed buffers for its life (docs/performance.md, Memory).
// Here zlib inflates, and a delta is resolved from its base along the chain, git's way: only the objects
// of the chain being walked are held.
import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import {
  applyDelta,
  ofsDelta,
  packTypes,
  readEntryHeader,
  refDelta,
  type ObjectType,
} from './object-reader.js';

export interface IndexedPack {
  /** The `.idx` file's bytes. */
  index: Buffer;
  /** The pack's checksum (its last 20 bytes) in hex: git names the pack and its index by it. */
  checksum: string;
  count: number;
}

/** Thrown for bytes that are not a whole, well-formed pack. */
export class PackFormatError extends Error {
  override name = 'PackFormatError';
}

/** One object of the pack as the first pass over it found it. */
interface Entry {
  offset: number;
  /** Where its zlib stream starts. */
  data: number;
  size: number;
  crc: number;
  /** The object's type, or the delta's. */
  code: number;
  /** Of an offset delta: its base's offset. */
  baseOffset?: number;
  /** Of a reference delta: its base's id, in hex. */
  baseOid?: string;
  /** Hex; set once known (at once for a whole object, when its chain is walked for a delta). */
  oid?: string;
  type?: ObjectType;
}

export function indexPack(pack: Buffer): IndexedPack {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') {
    throw new PackFormatError('not a pack: no PACK signature');
  }
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new PackFormatError(`pack version ${version} is not supported`);
  const count = pack.readUInt32BE(8);
  const end = pack.length - 20;
  const checksum = pack.subarray(end).toString('hex');
  if (createHash('sha1').update(pack.subarray(0, end)).digest('hex') !== checksum) {
    throw new PackFormatError('the pack does not match its checksum (cut short or damaged)');
  }

  const entries: Entry[] = [];
  const byOffset = new Map<number, Entry>();
  let at = 12;
  for (let i = 0; i < count; i += 1) {
    if (at >= end) throw new PackFormatError(`the pack ends after ${i} of ${count} objects`);
    const entry = readEntry(pack, at);
    const content = inflateAt(pack, entry.data, entry.size);
    at = entry.data + content.consumed;
    entry.crc = crc32(pack.subarray(entry.offset, at));
    const type = packTypes[entry.code];
    if (type) {
      entry.type = type;
      entry.oid = objectId(type, content.bytes);
    } else if (entry.code !== ofsDelta && entry.code !== refDelta) {
      throw new PackFormatError(`unknown object type ${entry.code} at offset ${entry.offset}`);
    }
    entries.push(entry);
    byOffset.set(entry.offset, entry);
  }
  if (at !== end) throw new PackFormatError(`${end - at} bytes follow the last object of the pack`);

  resolveDeltas(pack, entries, byOffset);
  return { index: indexFile(entries, checksum), checksum, count };
}

/** An object's header: its type and size, and its base for a delta. */
function readEntry(pack: Buffer, offset: number): Entry {
  const header = readEntryHeader(pack, offset);
  const entry: Entry = { offset, data: header.dataAt, size: header.size, crc: 0, code: header.code };
  if (header.baseDistance !== undefined) {
    if (header.baseDistance > offset) {
      throw new PackFormatError(`a delta at offset ${offset} points before the pack`);
    }
    entry.baseOffset = offset - header.baseDistance;
  } else if (header.baseOid !== undefined) entry.baseOid = header.baseOid;
  return entry;
}

/** Inflates the zlib stream at `offset`, which must make exactly `size` bytes; says how many it took. */
function inflateAt(pack: Buffer, offset: number, size: number): { bytes: Buffer; consumed: number } {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    result = inflateSync(pack.subarray(offset, pack.length - 20), {
      info: true,
      maxOutputLength: Math.max(size, 1),
    }) as unknown as typeof result;
  } catch (error) {
    throw new PackFormatError(`the object data at offset ${offset} does not inflate`, { cause: error });
  }
  if (result.buffer.length !== size) {
    throw new PackFormatError(`the object at offset ${offset} is not the size its header says`);
  }
  return { bytes: result.buffer, consumed: result.engine.bytesWritten };
}

function objectId(type: ObjectType, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/**
 * Gives each delta its id and type, walking from every whole object down the deltas based on it; each
 * object of a chain is inflated again when its turn comes, so only the chain walked is held.
 */
function resolveDeltas(pack: Buffer, entries: readonly Entry[], byOffset: ReadonlyMap<number, Entry>): void {
  const children = new Map<number | string, Entry[]>();
  for (const entry of entries) {
    const base = entry.baseOffset ?? entry.baseOid;
    if (base === undefined) continue;
    if (entry.baseOffset !== undefined && !byOffset.has(entry.baseOffset)) {
      throw new PackFormatError(`a delta at offset ${entry.offset} has no object at its base's offset`);
    }
    const known = children.get(base);
    if (known) known.push(entry);
    else children.set(base, [entry]);
  }
  if (children.size === 0) return;
  const dependents = (entry: Entry) => [
    ...(children.get(entry.offset) ?? []),
    ...(entry.oid ? (children.get(entry.oid) ?? []) : []),
  ];
  const stack: { entry: Entry; content: Buffer }[] = [];
  for (const root of entries) {
    // Whole objects only: a delta gets its type once resolved, but its data is still a delta.
    if (root.baseOffset !== undefined || root.baseOid !== undefined || dependents(root).length === 0)
      continue;
    stack.push({ entry: root, content: inflateAt(pack, root.data, root.size).bytes });
    while (stack.length > 0) {
      const { entry: base, content } = stack.pop() as { entry: Entry; content: Buffer };
      for (const child of dependents(base)) {
        const delta = inflateAt(pack, child.data, child.size).bytes;
        let made: Buffer;
        try {
          made = applyDelta(content, delta);
        } catch (error) {
          throw new PackFormatError(`the delta at offset ${child.offset} does not apply`, { cause: error });
        }
        child.type = base.type;
        child.oid = objectId(child.type as ObjectType, made);
        stack.push({ entry: child, content: made });
      }
    }
  }
  const unresolved = entries.find((entry) => entry.oid === undefined);
  if (unresolved) {
    throw new PackFormatError(
      `the delta at offset ${unresolved.offset} has a base outside the pack (a thin pack is not asked for)`,
    );
  }
}

/** The version 2 index: fan-out, ids, CRCs, offsets (large ones in a table of their own), checksums. */
function indexFile(entries: readonly Entry[], checksum: string): Buffer {
  const sorted = entries
    .map((entry) => ({ id: Buffer.from(entry.oid ?? '', 'hex'), entry }))
    .sort((a, b) => Buffer.compare(a.id, b.id));
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i - 1]?.id.equals(sorted[i]?.id ?? Buffer.alloc(0))) {
      throw new PackFormatError(`the pack holds object ${sorted[i]?.entry.oid ?? ''} twice`);
    }
  }
  const n = sorted.length;
  const large = sorted.filter(({ entry }) => entry.offset >= 0x80000000);
  const index = Buffer.alloc(8 + 256 * 4 + n * (20 + 4 + 4) + large.length * 8 + 40);
  index.writeUInt32BE(0xff744f63, 0);
  index.writeUInt32BE(2, 4);
  const fanout = 8;
  const ids = fanout + 256 * 4;
  const crcs = ids + n * 20;
  const offsets = crcs + n * 4;
  const largeOffsets = offsets + n * 4;
  let largeAt = 0;
  for (const [i, { id, entry }] of sorted.entries()) {
    id.copy(index, ids + i * 20);
    index.writeUInt32BE(entry.crc >>> 0, crcs + i * 4);
    if (entry.offset < 0x80000000) index.writeUInt32BE(entry.offset, offsets + i * 4);
    else {
      index.writeUInt32BE((0x80000000 | largeAt) >>> 0, offsets + i * 4);
      index.writeUInt32BE(Math.floor(entry.offset / 2 ** 32), largeOffsets + largeAt * 8);
      index.writeUInt32BE(entry.offset % 2 ** 32, largeOffsets + largeAt * 8 + 4);
      largeAt += 1;
    }
  }
  // Fan-out: entry b counts the ids whose first byte is at most b.
  let counted = 0;
  for (let b = 0; b < 256; b += 1) {
    while (counted < n && (sorted[counted]?.id[0] ?? 0) <= b) counted += 1;
    index.writeUInt32BE(counted, fanout + b * 4);
  }
  const trailer = largeOffsets + large.length * 8;
  Buffer.from(checksum, 'hex').copy(index, trailer);
  createHash('sha1')
    .update(index.subarray(0, trailer + 20))
    .digest()
    .copy(index, trailer + 20);
  return index;
}
