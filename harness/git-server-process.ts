// The git server of git-server.ts in a process of its own, for the benchmark. In the harness's own process
// every request spawns `git http-backend` from that process, and Node's spawn forks it synchronously: the
// bigger the process (the benchmark holds repositories of 5,000 apps and gitcanary itself), the longer the
// fork, and the event loop gitcanary runs on waits for it. A git server never shares gitcanary's process in
// production, so the benchmark must not let it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { GitServer, GitServerAccess } from './git-server.js';

const main = fileURLToPath(new URL('git-server-main.ts', import.meta.url));

export async function startGitServerProcess(): Promise<GitServer> {
  // stdin stays open while this process lives: the server stops itself when it closes (this process died).
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const lines = createInterface({ input: child.stdout });
  const access = await new Promise<GitServerAccess>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as GitServerAccess));
    child.once('error', reject);
    void exited.then((code) =>
      reject(new Error(`the git server process exited with ${code} before it started`)),
    );
  });
  return {
    ...access,
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
