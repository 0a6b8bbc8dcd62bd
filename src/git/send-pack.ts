// The smart-HTTP push, done by hand: one POST to git-receive-pack carrying the ref update
// (`<old> <new> <ref>`) and a pack of exactly the objects the new commits added. The server applies the
// update only while the ref is still at <old>, which makes the push a compare-and-swap. No ref
// advertisement is asked for first: the request is stateless, and the caller already knows <old> (the head
// it built on), so a push is one round trip where isomorphic-git makes two and reads every tree of both
// heads to decide what to send. Our own commits' objects are sent as they were written (kept by
// write-commit.ts, packed by pack-writer.ts), so a step's push reads nothing back from the store.
import { PushConflictError } from './errors.js';
import { readCommitInfo, readObject, readTreeEntries } from './read-tree.js';
import type { RepositoryContext } from './repository-context.js';
import { writePack, type PackObject } from './pack-writer.js';
import { flushPkt, pktLine, readPktLines } from './pkt-line.js';
import { postServiceRequest } from './service-request.js';

/** Commits further back than this are not searched for the base; the caller falls back to a full push. */
const maxNewCommits = 10_000;

/**
 * Objects in `tip`'s history that are not in `base`'s snapshot, or undefined when `base` is not reached by
 * following first parents from `tip` (then the caller pushes the slow, general way). For each new commit:
 * the objects it was written with (write-commit.ts keeps them), or, for a commit written by another
 * process, the commit and the trees and blobs of its tree that its parent's tree does not have.
 */
export async function objectsSince(
  ctx: RepositoryContext,
  tip: string,
  base: string,
): Promise<PackObject[] | undefined> {
  const objects = new Map<string, PackObject | undefined>();
  let oid = tip;
  for (let n = 0; oid !== base; n += 1) {
    if (n >= maxNewCommits) return undefined;
    const written = ctx.written.get(oid);
    if (written) {
      for (const object of written.objects) objects.set(object.oid, object);
      oid = written.parent;
      continue;
    }
    const commit = await readCommitInfo(ctx, oid);
    const [parent, ...others] = commit.parents;
    if (parent === undefined || others.length > 0) return undefined;
    objects.set(oid, undefined);
    await addTreeDifference(ctx, commit.tree, (await readCommitInfo(ctx, parent)).tree, objects);
    oid = parent;
  }
  const read: PackObject[] = [];
  for (const [objectOid, known] of objects) read.push(known ?? (await readObject(ctx, objectOid)));
  return read;
}

/** The commits between `tip` and `base` were pushed, or refused: their objects need not be kept. */
export function forgetWritten(ctx: RepositoryContext, tip: string, base: string): void {
  for (let oid: string | undefined = tip; oid !== undefined && oid !== base;) {
    const parent: string | undefined = ctx.written.get(oid)?.parent;
    ctx.written.delete(oid);
    oid = parent;
  }
}

async function addTreeDifference(
  ctx: RepositoryContext,
  tree: string,
  old: string | undefined,
  objects: Map<string, PackObject | undefined>,
): Promise<void> {
  if (tree === old) return;
  objects.set(tree, undefined);
  const before = new Map((old === undefined ? [] : await readTreeEntries(ctx, old)).map((e) => [e.path, e]));
  for (const entry of await readTreeEntries(ctx, tree)) {
    const previous = before.get(entry.path);
    if (previous?.oid === entry.oid) continue;
    if (entry.type === 'tree') {
      await addTreeDifference(ctx, entry.oid, previous?.type === 'tree' ? previous.oid : undefined, objects);
    } else if (entry.type === 'blob') {
      objects.set(entry.oid, undefined);
    }
  }
}

/** Sends the ref update and the pack; throws PushConflictError when the server does not take it. */
export async function sendPack(
  ctx: RepositoryContext,
  update: { old: string; new: string; ref?: string },
  objects: readonly PackObject[],
): Promise<void> {
  // Another ref than the branch: the notification mark (notification-refs.ts), whose objects are all there.
  const ref = update.ref ?? ctx.remoteRef;
  const packfile = writePack(objects);
  const command = `${update.old} ${update.new} ${ref}\0report-status agent=gitcanary\n`;
  const body = await postServiceRequest(ctx, 'git-receive-pack', [pktLine(command), flushPkt, packfile]);
  const report = readPktLines(body);
  const unpack = report.find((line) => line.startsWith('unpack '));
  const status = report.find((line) => line === `ok ${ref}` || line.startsWith(`ng ${ref} `));
  if (unpack === 'unpack ok' && status === `ok ${ref}`) return;
  // `ng <ref> <reason>`: most often the ref was not at <old> any more (another writer pushed first); a
  // declining hook looks the same here, and pushWithRetry tells the two apart by fetching.
  const reason = status?.startsWith('ng ') ? status.slice(`ng ${ref} `.length) : (unpack ?? 'no report');
  throw new PushConflictError(`${ctx.displayUrl}: push refused by the server (${reason})`);
}
