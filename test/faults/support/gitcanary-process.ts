// gitcanary as the image runs it, one OS process per replica (`node bin/gitcanary.js run`, the compiled
// CLI), so that the fault suite can kill it with SIGKILL at any instant, send it SIGTERM, and start it
// again on the same workdir. It dies with the test process (PR_SET_PDEATHSIG via setpriv). Its JSON log
// lines are kept for assertions and appended to a file for a person reading a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const hasSetpriv = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export class GitcanaryProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private readonly child: ChildProcess;

  private constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
    logFile: string,
  ) {
    const args = ['bin/gitcanary.js', 'run'];
    const [file, argv] = hasSetpriv
      ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, ...args]]
      : [process.execPath, args];
    this.child = spawn(file, argv, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let partial = '';
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      appendFileSync(logFile, chunk);
      const text = partial + chunk;
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
  }

  static start(name: string, port: number, env: Record<string, string>, logFile: string): GitcanaryProcess {
    return new GitcanaryProcess(name, port, { ...env, GITCANARY_LISTEN: `127.0.0.1:${port}` }, logFile);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` (SIGKILL by default) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL') {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** Lines whose `msg` is `msg`. */
  logged(msg: string): LogLine[] {
    return this.lines.filter((line) => line.msg === msg);
  }

  async status(path: '/readyz' | '/healthz' | '/metrics'): Promise<{ status: number; text: string }> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
        signal: AbortSignal.timeout(2_000),
      });
      return { status: response.status, text: await response.text() };
    } catch {
      return { status: 0, text: '' };
    }
  }
}
