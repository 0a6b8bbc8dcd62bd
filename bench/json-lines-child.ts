// A bundled benchmark process (bench/shard-process.ts, bench/reconciler-process.ts) run by node with the
// image's flags and spoken to in JSON lines: one message per stdout line, one request per stdin line. Its
// stderr (its log) goes to a file, named in every error about it.
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { runtime } from './node-runtime.js';

export interface JsonLinesChildOptions {
  /** The bundled module to run. */
  entry: string;
  args?: string[];
  /** Added to the image's environment (deploy/node-runtime.json) and the benchmark's own. */
  env: Record<string, string>;
  logFile: string;
  /** What errors call it: "shard process", "reconciler process". */
  name: string;
}

export class JsonLinesChild<M extends { type: string }> {
  private readonly waiting: ((message: M) => void)[] = [];
  private readonly queued: M[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly logFile: string,
    private readonly name: string,
  ) {
    if (!child.stdout) throw new Error('unreachable: stdout is piped');
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const message = JSON.parse(line) as M;
      const resolve = this.waiting.shift();
      if (resolve) resolve(message);
      else this.queued.push(message);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start<M extends { type: string }>(options: JsonLinesChildOptions): Promise<JsonLinesChild<M>> {
    const log = await open(options.logFile, 'w');
    const child = spawn(process.execPath, [...runtime.nodeFlags, options.entry, ...(options.args ?? [])], {
      env: { ...process.env, ...runtime.env, ...options.env },
      stdio: ['pipe', 'pipe', log.fd],
    });
    // The child holds its own copy of the descriptor.
    await log.close();
    return new JsonLinesChild<M>(child, options.logFile, options.name);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(request: string | object): void {
    this.child.stdin?.write(`${typeof request === 'string' ? request : JSON.stringify(request)}\n`);
  }

  /** The next message, which must be of `type`. */
  async expect<T extends M['type']>(type: T, timeoutMs: number): Promise<Extract<M, { type: T }>> {
    const message = await this.next(timeoutMs);
    if (message.type !== type) throw new Error(`${this.name} ${this.pid}: ${message.type}, not ${type}`);
    return message as Extract<M, { type: T }>;
  }

  /** Asks it to exit, and kills it (this child, by its pid) if it has not within `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end('exit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private next(timeoutMs: number): Promise<M> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${this.name} ${this.pid} said nothing for ${timeoutMs} ms; see ${this.logFile}`)),
        timeoutMs,
      );
      // After the message came this rejects nothing: the promise is settled.
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} ${this.pid} exited (${code}); see ${this.logFile}`));
      });
      this.waiting.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }
}
