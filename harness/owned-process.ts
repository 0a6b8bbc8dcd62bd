// Starts a server process that the test harness owns: its output goes to a log file, it is stopped by its
// PID, and it dies with the harness even if the harness is killed (PR_SET_PDEATHSIG via `setpriv`).
import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

export interface OwnedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Rejects with the log's tail if the process exits before `stop()` is called. */
  exited: Promise<never>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const hasSetpriv = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;

export function startOwnedProcess(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): OwnedProcess {
  const fd = openSync(logFile, 'a');
  const [file, argv] = hasSetpriv
    ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', command, ...args]]
    : [command, args];
  const child = spawn(file, argv, { stdio: ['ignore', fd, fd], env: options.env ?? process.env });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;

  let stopping = false;
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (err) => reject(new Error(`${name}: could not start ${command}: ${err.message}`)));
    void closed.then((code) => {
      if (!stopping)
        reject(new Error(`${name} exited with ${code} before it was stopped; log ${logFile}:\n${logTail()}`));
    });
  });
  // Nobody may be awaiting `exited` at the moment it rejects; the rejection is still seen by whoever races it.
  exited.catch(() => undefined);

  return {
    name,
    pid,
    logFile,
    exited,
    logTail,
    async stop() {
      if (stopping) return;
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }, 10_000);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` until it returns true, the process exits, or `timeoutMs` passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; process?: OwnedProcess; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const log = options.process ? `\nlog ${options.process.logFile}:\n${options.process.logTail()}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${detail}${log}`);
    }
    const sleep = new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    await (options.process ? Promise.race([sleep, options.process.exited]) : sleep);
  }
}
