// A shard process of the shard-contention scenario as the benchmark drives it: bench/shard-process.ts,
// bundled as the image's CLI is and run by node with the image's flags, spoken to in JSON lines. Its own
// log (pino, warn and above) goes to a file, which the benchmark reads for the retries it logged.
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.js';
import { runtime } from './memory.js';
import type { ShardMessage, ShardReady, ShardRound } from './shard-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// Under node_modules, so that git ignores it.
const entry = join(root, 'node_modules', '.cache', 'gitcanary-bench', 'shard-process.mjs');

export async function bundleShardProcess(): Promise<void> {
  await bundle(join(root, 'bench', 'shard-process.ts'), entry);
}

export interface ShardChildOptions {
  /** Absent: the process runs without --shard. */
  shard: string | undefined;
  /** Where its log goes. */
  logFile: string;
  env: Record<string, string>;
}

export class ShardChild {
  private readonly waiting: ((message: ShardMessage) => void)[] = [];
  private readonly queued: ShardMessage[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    if (!child.stdout) throw new Error('unreachable: stdout is piped');
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const message = JSON.parse(line) as ShardMessage;
      const resolve = this.waiting.shift();
      if (resolve) resolve(message);
      else this.queued.push(message);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(options: ShardChildOptions): Promise<ShardChild> {
    const log = await open(options.logFile, 'w');
    const child = spawn(process.execPath, [...runtime.nodeFlags, entry], {
      env: {
        ...process.env,
        ...runtime.env,
        ...options.env,
        ...(options.shard === undefined ? {} : { BENCH_SHARD: options.shard }),
      },
      stdio: ['pipe', 'pipe', log.fd],
    });
    // The child holds its own copy of the descriptor.
    await log.close();
    return new ShardChild(child, options.logFile);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async ready(timeoutMs: number): Promise<ShardReady> {
    const message = await this.next(timeoutMs);
    if (message.type !== 'ready') throw new Error(`shard process ${this.pid}: ${message.type} before ready`);
    return message;
  }

  /** Sets its clock; the round's result comes from `settled`. */
  setClock(now: Date): void {
    this.child.stdin?.write(`${JSON.stringify({ now: now.toISOString() })}\n`);
  }

  async settled(timeoutMs: number): Promise<ShardRound> {
    const message = await this.next(timeoutMs);
    if (message.type !== 'settled')
      throw new Error(`shard process ${this.pid}: ${message.type}, not settled`);
    return message;
  }

  /** Asks it to exit, and kills it (this child, by its pid) if it has not within `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end('exit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private next(timeoutMs: number): Promise<ShardMessage> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`shard process ${this.pid} said nothing for ${timeoutMs} ms; see ${this.logFile}`),
          ),
        timeoutMs,
      );
      // After the message came this rejects nothing: the promise is settled.
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`shard process ${this.pid} exited (${code}); see ${this.logFile}`));
      });
      this.waiting.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }
}
