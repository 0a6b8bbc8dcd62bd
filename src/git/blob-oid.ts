import { createHash } from 'node:crypto';

/** The oid git gives a blob of this text (as `git hash-object`): what `writeCommit` stores it under. */
export function blobOid(text: string): string {
  const body = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
}
