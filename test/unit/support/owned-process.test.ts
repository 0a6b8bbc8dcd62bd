import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOwnedProcess, waitUntil } from '../../../harness/owned-process.js';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startOwnedProcess', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops the process by its PID', async () => {
    dir = await mkdtemp(join(tmpdir(), 'owned-'));
    const sleeper = startOwnedProcess('sleeper', 'sleep', ['300'], join(dir, 'log'));

    await sleeper.stop();

    expect(isAlive(sleeper.pid)).toBe(false);
  });

  it('reports an early exit with the log tail', async () => {
    dir = await mkdtemp(join(tmpdir(), 'owned-'));
    const failing = startOwnedProcess(
      'failing',
      'sh',
      ['-c', 'echo cannot bind port >&2; exit 3'],
      join(dir, 'log'),
    );

    await expect(failing.exited).rejects.toThrow(/failing exited with 3[\s\S]*cannot bind port/);
  });

  it('dies with the harness even when the harness is killed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'owned-'));
    const pidFile = join(dir, 'pid');
    // A harness process that starts a sleeper, reports its PID, and is then SIGKILLed (no teardown runs).
    const script = `
      import { startOwnedProcess } from ${JSON.stringify(join(process.cwd(), 'harness/owned-process.ts'))};
      import { writeFileSync } from 'node:fs';
      const p = startOwnedProcess('sleeper', 'sleep', ['300'], ${JSON.stringify(join(dir, 'log'))});
      writeFileSync(${JSON.stringify(pidFile)}, String(p.pid));
      setInterval(() => {}, 1000);
    `;
    const harness = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: 'ignore',
    });
    let sleeperPid = 0;
    await waitUntil(
      'the sleeper PID',
      async () => (sleeperPid = Number(await readFile(pidFile, 'utf8'))) > 0,
      {
        timeoutMs: 20_000,
      },
    );
    expect(isAlive(sleeperPid)).toBe(true);

    harness.kill('SIGKILL');

    await waitUntil('the sleeper to die', () => Promise.resolve(!isAlive(sleeperPid)), { timeoutMs: 5_000 });
    expect(isAlive(sleeperPid)).toBe(false);
  });
});
