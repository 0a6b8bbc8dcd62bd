// A pack file (git's format, version 2) of whole objects, no deltas: what a push of a few commits sends.
// Each object is its type and size, then its content deflated; the pack ends with the SHA-1 of all before.
// Made here from objects already in memory (the commits we just wrote), where isomorphic-git's packObjects
// reads each one back from the store and inflates it first: for the 5,000-entry `apps/` tree of a step,
// most of the push's own time.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { ObjectType } from './object-reader.js';

export interface PackObject {
  type: ObjectType;
  /** The object's content, without its `<type> <size>\0` header. */
  content: Buffer;
}

const typeCodes: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export function writePack(objects: readonly PackObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  for (const { type, content } of objects) {
    parts.push(objectHeader(typeCodes[type], content.length), deflateSync(content, { level: 1 }));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** The type in bits 4–6 of the first byte, the size in its low 4 bits and then 7 bits a byte, low first. */
function objectHeader(type: number, size: number): Buffer {
  const bytes = [(type << 4) | (size & 0x0f)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) | 0x80;
    bytes.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}
