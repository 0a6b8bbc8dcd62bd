// One process per workdir. Two processes sharing one local store (the default workdir is derived from the
// repository URL, so two daemons for the same repository share it) compact, fetch and repair under each
// other's feet and fail passes with "Could not find <oid>". The lock is a file in the workdir naming its
// holder (pid, host); it is taken by link(2), which is atomic, and a lock whose holder is gone (a kill -9,
// a container restarted as the same pid) is taken over at once: no waiting for a lease to run out.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const lockFileName = 'gitcanary.lock';

export class WorkdirLockedError extends Error {
  readonly code = 'WorkdirLocked';
  override readonly name = 'WorkdirLockedError';
}

interface WorkdirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Also done when the process exits normally. */
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  /** Unique per acquisition, so a release never removes a lock someone else took over. */
  token: string;
}

export async function lockWorkdir(dir: string): Promise<WorkdirLock> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, lockFileName);
  const me: Holder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const text = `${JSON.stringify(me)}\n`;
  const temporary = `${path}.${me.token}`;
  writeFileSync(temporary, text, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        linkSync(temporary, path);
        // Let go on a normal exit and on process.exit; after a kill -9 the next process sees the pid gone.
        const onExit = () => release(path, me.token);
        process.once('exit', onExit);
        return {
          path,
          release: () => {
            process.off('exit', onExit);
            release(path, me.token);
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = readLock(path);
      const alive = current === undefined ? false : holderAlive(current.holder);
      if (alive) {
        const holder = current?.holder;
        throw new WorkdirLockedError(
          `${dir} is in use by gitcanary process ${holder?.pid} on ${holder?.host} (${path}); give this process a --workdir of its own, or delete the file if that process is gone`,
        );
      }
      // Stale: remove it, unless it changed since it was read (someone else took it over first).
      if (readLock(path)?.text === current?.text) unlinkQuietly(path);
    }
    throw new WorkdirLockedError(`${dir}: could not take ${path} (other processes keep taking it)`);
  } finally {
    unlinkQuietly(temporary);
  }
}

function readLock(path: string): { text: string; holder: Holder | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    const ok = typeof parsed.pid === 'number' && typeof parsed.host === 'string';
    return { text, holder: ok ? (parsed as Holder) : undefined };
  } catch {
    return { text, holder: undefined };
  }
}

/**
 * Whether the process named by a lock may still hold it. A lock from another host cannot be checked, so it
 * counts as held. Our own pid is a previous life of this container (pid 1 again): a process takes the lock
 * of a workdir once.
 */
function holderAlive(holder: Holder | undefined): boolean {
  if (!holder) return false; // unreadable: a lock is never written half (link of a complete file)
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(path: string, token: string): void {
  if (readLock(path)?.holder?.token === token) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
