// A shard process of the shard-contention scenario as the benchmark drives it: bench/shard-process.ts,
// bundled as the image's CLI is and run by node with the image's flags, spoken to in JSON lines
// (bench/json-lines-child.ts). Its own log (pino, warn and above) goes to a file, which the benchmark reads
// for the retries it logged.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.js';
import { JsonLinesChild } from './json-lines-child.js';
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
  private constructor(private readonly child: JsonLinesChild<ShardMessage>) {}

  static async start(options: ShardChildOptions): Promise<ShardChild> {
    const child = await JsonLinesChild.start<ShardMessage>({
      entry,
      env: { ...options.env, ...(options.shard === undefined ? {} : { BENCH_SHARD: options.shard }) },
      logFile: options.logFile,
      name: 'shard process',
    });
    return new ShardChild(child);
  }

  get logFile(): string {
    return this.child.logFile;
  }

  ready(timeoutMs: number): Promise<ShardReady> {
    return this.child.expect('ready', timeoutMs);
  }

  /** Sets its clock; the round's result comes from `settled`. */
  setClock(now: Date): void {
    this.child.send({ now: now.toISOString() });
  }

  settled(timeoutMs: number): Promise<ShardRound> {
    return this.child.expect('settled', timeoutMs);
  }

  stop(graceMs?: number): Promise<void> {
    return this.child.stop(graceMs);
  }
}
