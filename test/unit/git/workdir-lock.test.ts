import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockFileName, lockWorkdir, WorkdirLockedError } from '../../../src/git/workdir-lock.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function workdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-lock-'));
  dirs.push(dir);
  return join(dir, 'repo');
}

/** A lock file as another process would have left it. */
async function lockedBy(dir: string, pid: number, host = hostname()) {
  await lockWorkdir(dir).then((lock) => lock.release());
  await writeFile(join(dir, lockFileName), `${JSON.stringify({ pid, host, token: 'theirs' })}\n`);
}

/** A live process of ours, and one that has exited (its pid is free). */
function liveProcess(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child.pid ?? 0;
}
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid ?? 0;
}

describe('the workdir lock', () => {
  it('refuses a second process while the first one lives, naming it', async () => {
    const dir = await workdir();
    const pid = liveProcess();
    await lockedBy(dir, pid);

    const taking = lockWorkdir(dir);

    await expect(taking).rejects.toBeInstanceOf(WorkdirLockedError);
    await expect(taking).rejects.toThrow(`in use by gitcanary process ${pid} on ${hostname()}`);
  });

  it('takes over at once from a process that is gone (a kill -9)', async () => {
    const dir = await workdir();
    await lockedBy(dir, await deadPid());

    const lock = await lockWorkdir(dir);

    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock naming its own pid (the container restarted) or holding garbage', async () => {
    const dir = await workdir();
    await lockedBy(dir, process.pid);
    (await lockWorkdir(dir)).release();
    await writeFile(join(dir, lockFileName), '{"pi');

    await expect(lockWorkdir(dir)).resolves.toBeDefined();
  });

  it('counts a lock from another host as held: its process cannot be checked from here', async () => {
    const dir = await workdir();
    await lockedBy(dir, 1, 'another-host');

    await expect(lockWorkdir(dir)).rejects.toThrow(/on another-host/);
  });

  it('releases only its own lock', async () => {
    const dir = await workdir();
    const mine = await lockWorkdir(dir);
    mine.release();
    expect(existsSync(mine.path)).toBe(false);

    const again = await lockWorkdir(dir);
    await writeFile(again.path, `${JSON.stringify({ pid: liveProcess(), host: hostname(), token: 'x' })}\n`);
    again.release();

    expect(existsSync(again.path)).toBe(true);
  });
});
