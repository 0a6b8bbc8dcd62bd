// Runs the peers' commands (git, kubectl) from a small process of their own. Node forks the process that
// spawns, and the benchmark's own grows past 500 MiB at 5,000 Canaries (its repositories, and gitcanary
// in-process): a `git` started from it took 24 ms to start where it took 14 ms at 100 Canaries. A person's
// shell is small; so is this process, and every peer command costs the same to start at every size.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface PeerCommand {
  id: number;
  file: string;
  args: string[];
  cwd?: string;
  /** Added to the runner's environment. */
  env?: Record<string, string>;
}

export type PeerAnswer = { id: number; stdout: string } | { id: number; error: string };

const entry = fileURLToPath(new URL('peer-process.ts', import.meta.url));
let runner: { child: ChildProcess; waiting: Map<number, (answer: PeerAnswer) => void> } | undefined;
let next = 0;

function started() {
  if (runner) return runner;
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  const waiting = new Map<number, (answer: PeerAnswer) => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const answer = JSON.parse(line) as PeerAnswer;
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  child.on('exit', (code) => {
    for (const [id, settle] of waiting) settle({ id, error: `the peer runner exited with ${code}` });
    waiting.clear();
    runner = undefined;
  });
  runner = { child, waiting };
  return runner;
}

/** Runs `file` with `args` in the runner; its stdout, or an error with its stderr. */
export async function runPeer(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const { child, waiting } = started();
  const id = (next += 1);
  const answer = await new Promise<PeerAnswer>((resolve) => {
    waiting.set(id, resolve);
    child.stdin?.write(`${JSON.stringify({ id, file, args, ...options } satisfies PeerCommand)}\n`);
  });
  if ('error' in answer) throw new Error(`${file} ${args.join(' ')}: ${answer.error}`);
  return answer.stdout;
}

/** Stops the runner (it also stops by itself when this process exits). */
export async function stopPeerRunner(): Promise<void> {
  const child = runner?.child;
  if (!child) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin?.end();
  await exited;
}
