// Memory of a reconciler process holding a repository: a child process (bench/reconciler-process.ts)
// starts on a fresh store against the cluster in sync (a restart), reads the whole repository, polls, and
// reports its peak and steady RSS. Its peer is the same process with nothing loaded: what Node and the
// libraries cost alone. The child is bundled as the image's CLI is (scripts/bundle.ts) and run by plain
// Node with the image's flags, so the row measures `gitcanary run` as shipped (tsx would add ~35 MB).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundle } from '../scripts/bundle.js';
import { runtime } from './node-runtime.js';
import type { ProcessMemory } from './reconciler-process.js';
import type { SizeContext } from './scenarios.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
// Under node_modules, so that git ignores it.
export const reconcilerProcessEntry = join(
  root,
  'node_modules',
  '.cache',
  'gitcanary-bench',
  'reconciler-process.mjs',
);

/** Bundles bench/reconciler-process.ts and what it imports, with the options of the image's bundle. */
export async function bundleReconcilerProcess(): Promise<void> {
  await bundle(join(root, 'bench', 'reconciler-process.ts'), reconcilerProcessEntry);
}

export interface MemoryResult {
  peakRssMiB: number;
  /** The same run under plain `node`, without the image's flags and environment. */
  plainNodePeakRssMiB: number;
  holdRssMiB: number;
  heapUsedMiB: number;
  /** The same process with no repository: the floor. */
  idleRssMiB: number;
  coldPassMs: number;
  pollMs: number;
}

export async function memory(ctx: SizeContext, now: Date): Promise<MemoryResult> {
  const idle = await runChild(runtime.nodeFlags, ['--idle'], runtime.env);
  const held = await runChild(runtime.nodeFlags, [], {
    ...runtime.env,
    ...reconcilerProcessEnv(ctx, now),
  });
  const plain = await runChild([], [], reconcilerProcessEnv(ctx, now));
  const [coldPassMs = Number.NaN, ...polls] = held.passMs;
  return {
    peakRssMiB: held.peakRssMiB,
    plainNodePeakRssMiB: plain.peakRssMiB,
    holdRssMiB: held.holdRssMiB,
    heapUsedMiB: held.heapUsedMiB,
    idleRssMiB: idle.holdRssMiB,
    coldPassMs,
    pollMs: polls.length ? Math.min(...polls) : Number.NaN,
  };
}

/** What bench/reconciler-process.ts needs to hold `ctx`'s repository on a clock stopped at `now`. */
export function reconcilerProcessEnv(ctx: SizeContext, now: Date): Record<string, string> {
  return {
    BENCH_REPO_URL: ctx.url,
    BENCH_GIT_USERNAME: ctx.server.username,
    BENCH_GIT_PASSWORD: ctx.server.password,
    BENCH_KUBECONFIG: ctx.controlPlane.kubeconfigPath,
    BENCH_NOW: now.toISOString(),
    BENCH_POLLS: '5',
    BENCH_SETTLE_MS: '2000',
    BENCH_LIVE_CACHE: String(ctx.liveCache),
    BENCH_NAMESPACES: ctx.gen.namespaces.join(','),
  };
}

async function runChild(
  nodeFlags: string[],
  args: string[],
  env: Record<string, string>,
): Promise<ProcessMemory> {
  const { stdout } = await execFileAsync(process.execPath, [...nodeFlags, reconcilerProcessEntry, ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ProcessMemory;
}
