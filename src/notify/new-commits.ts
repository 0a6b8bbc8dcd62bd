// The commits reachable from the branch head and not from the notification mark (`git rev-list mark..head`):
// exactly what has not been told yet. Ancestry, not first parents: a merge made on a laptop may put
// gitcanary's own commits on a second parent, and commits that were told already must never come back
// through one. The walk is git's: paint both ends, newest commit first, until nothing reachable only from
// the head is left to explore.
import type { CommitRecord } from '../git/repository.js';

export interface CommitSource {
  readCommit(oid: string): Promise<CommitRecord | undefined>;
}

type NewCommits =
  | { complete: true; commits: CommitRecord[] }
  /** A commit the answer depends on is not in the source, or the walk went past `limit`. */
  | { complete: false };

const fromHead = 1;
const fromMark = 2;
/** Extra steps after the walk could stop, for commit times that are out of order (git's "slop"). */
const slop = 5;

/** Oldest first, parents before children. */
export async function newCommits(
  source: CommitSource,
  head: string,
  mark: string,
  limit = 1000,
): Promise<NewCommits> {
  const flags = new Map<string, number>();
  const records = new Map<string, CommitRecord>();
  const missing = new Set<string>();
  const queue = new Set<string>();
  const paint = async (oid: string, flag: number) => {
    const before = flags.get(oid) ?? 0;
    if ((before | flag) === before) return;
    flags.set(oid, before | flag);
    if (missing.has(oid)) return;
    if (!records.has(oid)) {
      const record = await source.readCommit(oid);
      if (!record) {
        missing.add(oid);
        return;
      }
      records.set(oid, record);
    }
    queue.add(oid);
  };
  await paint(head, fromHead);
  await paint(mark, fromMark);
  let steps = 0;
  let extra = slop;
  while (queue.size > 0) {
    const open = [...queue].some((oid) => flags.get(oid) === fromHead);
    if (!open && extra-- <= 0) break;
    if (++steps > limit) return { complete: false };
    const oid = newest(queue, records);
    queue.delete(oid);
    const record = records.get(oid);
    for (const parent of record?.parents ?? []) await paint(parent, flags.get(oid) ?? 0);
  }
  for (const oid of missing) if (flags.get(oid) === fromHead) return { complete: false };
  const fresh = [...records.values()].filter((r) => flags.get(r.oid) === fromHead);
  // New commits on a history that never reaches the mark (rewritten under it) are not news: never guess.
  if (fresh.length > 0 && ((flags.get(mark) ?? 0) & fromHead) === 0) return { complete: false };
  return { complete: true, commits: parentsFirst(fresh) };
}

function newest(queue: ReadonlySet<string>, records: ReadonlyMap<string, CommitRecord>): string {
  let best: string | undefined;
  for (const oid of queue) {
    if (best === undefined || (records.get(oid)?.timestamp ?? 0) > (records.get(best)?.timestamp ?? 0))
      best = oid;
  }
  return best as string;
}

/** A topological order: commit times tie within a second (a promotion is three commits at once). */
function parentsFirst(commits: CommitRecord[]): CommitRecord[] {
  const byOid = new Map(commits.map((c) => [c.oid, c]));
  const done = new Set<string>();
  const ordered: CommitRecord[] = [];
  const visit = (commit: CommitRecord) => {
    if (done.has(commit.oid)) return;
    done.add(commit.oid);
    for (const parent of commit.parents) {
      const inner = byOid.get(parent);
      if (inner) visit(inner);
    }
    ordered.push(commit);
  };
  // Oldest first by time, so that unrelated lines of history keep their order of arrival.
  for (const commit of [...commits].sort((a, b) => a.timestamp - b.timestamp)) visit(commit);
  return ordered;
}
