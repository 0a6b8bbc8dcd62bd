// The smart-HTTP fetch, done by hand: one POST to git-upload-pack in protocol version 2 (`command=fetch`),
// which takes any commit as a want, so the head the poll just listed is fetched without asking for the
// ref advertisement again (isomorphic-git's fetch made that request first, then the fetch: two round trips
// where this makes one). The answer's pack is indexed by index-pack.ts and written to the store as
// `git fetch` writes it; the shallow list is updated from the answer's shallow-info.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { indexPack } from './index-pack.js';
import { delimPkt, flushPkt, packets, pktLine } from './pkt-line.js';
import type { RepositoryContext } from './repository-context.js';
import { postServiceRequest } from './service-request.js';

/** The server does not answer in protocol version 2: the caller fetches the older way. */
export class ProtocolV2Unsupported extends Error {
  override name = 'ProtocolV2Unsupported';
}

/** The server answered, but not with what a fetch expects (an ERR packet, a damaged pack). */
export class FetchAnswerError extends Error {
  override name = 'FetchAnswerError';
}

export interface FetchRequest {
  want: string;
  /** The local head, which the server leaves out with everything it reaches. */
  have?: string;
  /** How many commits back from `want` to fetch at most. */
  depth: number;
}

/** Fetches `want` into the store: its pack written and indexed, the shallow list updated. */
export async function fetchPack(ctx: RepositoryContext, request: FetchRequest): Promise<void> {
  const shallowPath = join(ctx.gitdir, 'shallow');
  const shallow = (await readFile(shallowPath, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line !== '');
  const lines = [
    'ofs-delta\n',
    'no-progress\n',
    `deepen ${request.depth}\n`,
    // The commits the store holds without their parents: the server must not take them for whole history.
    ...shallow.map((oid) => `shallow ${oid}\n`),
    `want ${request.want}\n`,
    ...(request.have ? [`have ${request.have}\n`] : []),
    'done\n',
  ];
  const body = await postServiceRequest(
    ctx,
    'git-upload-pack',
    [pktLine('command=fetch\n'), pktLine('agent=gitcanary\n'), delimPkt, ...lines.map(pktLine), flushPkt],
    { 'git-protocol': 'version=2' },
  );
  const answer = readAnswer(body);
  if (answer.pack.length > 0) await writePackFiles(ctx.gitdir, answer.pack);
  const updated = new Set(shallow);
  for (const oid of answer.shallow) updated.add(oid);
  for (const oid of answer.unshallow) updated.delete(oid);
  if (updated.size === 0) await rm(shallowPath, { force: true });
  else await writeAtomically(shallowPath, `${[...updated].sort().join('\n')}\n`);
}

interface FetchAnswer {
  shallow: string[];
  unshallow: string[];
  pack: Buffer;
}

/**
 * The sections of a version 2 fetch answer: shallow-info (commits that became shallow, or whole again) and
 * the packfile, multiplexed on side-band 1 (2 is progress, 3 an error).
 */
function readAnswer(body: Buffer): FetchAnswer {
  const answer: FetchAnswer = { shallow: [], unshallow: [], pack: Buffer.alloc(0) };
  const pack: Buffer[] = [];
  let section: string | undefined;
  let sections = 0;
  try {
    for (const packet of packets(body)) {
      if (packet.kind !== 'data') {
        section = undefined;
        continue;
      }
      const { payload } = packet;
      if (section === undefined) {
        const text = payload.toString('utf8').replace(/\n$/, '');
        if (text.startsWith('ERR '))
          throw new FetchAnswerError(`the git server refused the fetch: ${text.slice(4)}`);
        if (!['acknowledgments', 'shallow-info', 'wanted-refs', 'packfile-uris', 'packfile'].includes(text)) {
          // A version 0 server answers a request it cannot read with its own kind of line, or an error.
          throw new ProtocolV2Unsupported(
            `the git server did not answer in protocol version 2 (${text.slice(0, 60)})`,
          );
        }
        section = text;
        sections += 1;
        continue;
      }
      if (section === 'packfile') {
        const band = payload[0];
        if (band === 1) pack.push(payload.subarray(1));
        else if (band === 3) {
          throw new FetchAnswerError(
            `the git server failed the fetch: ${payload.toString('utf8', 1).trim()}`,
          );
        }
        continue;
      }
      const text = payload.toString('utf8').replace(/\n$/, '');
      if (section === 'shallow-info') {
        const [verb, oid] = text.split(' ');
        if (verb === 'shallow' && oid) answer.shallow.push(oid);
        else if (verb === 'unshallow' && oid) answer.unshallow.push(oid);
      }
    }
  } catch (error) {
    if (error instanceof FetchAnswerError || error instanceof ProtocolV2Unsupported) throw error;
    throw new FetchAnswerError(`the git server's answer is not a fetch answer: ${String(error)}`, {
      cause: error,
    });
  }
  if (sections === 0) throw new ProtocolV2Unsupported('the git server did not answer in protocol version 2');
  answer.pack = Buffer.concat(pack);
  return answer;
}

/** The pack and its index under objects/pack, named by the pack's checksum, the index last. */
async function writePackFiles(gitdir: string, pack: Buffer): Promise<void> {
  let indexed: ReturnType<typeof indexPack>;
  try {
    indexed = indexPack(pack);
  } catch (error) {
    throw new FetchAnswerError(`the pack the git server sent is not usable: ${String(error)}`, {
      cause: error,
    });
  }
  if (indexed.count === 0) return;
  const base = join(gitdir, 'objects', 'pack', `pack-${indexed.checksum}`);
  // Readers find a pack by its index: the pack must be whole before the index appears.
  await writeAtomically(`${base}.pack`, pack);
  await writeAtomically(`${base}.idx`, indexed.index);
}

async function writeAtomically(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
