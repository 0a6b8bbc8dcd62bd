// Thin wrappers over the `go` command: download a module into the module cache, and build a binary from a
// small wrapper module, printing progress as packages compile.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface DownloadedModule {
  dir: string;
  goMod: string;
}

export type Progress = (line: string) => void;

export async function downloadGoModule(path: string, version: string): Promise<DownloadedModule> {
  const { stdout } = await runGo(['mod', 'download', '-json', `${path}@${version}`], process.cwd());
  const info = JSON.parse(stdout) as { Dir?: string; GoMod?: string; Error?: string };
  if (info.Error || !info.Dir || !info.GoMod) {
    throw new Error(`go mod download ${path}@${version} failed: ${info.Error ?? stdout}`);
  }
  return { dir: info.Dir, goMod: info.GoMod };
}

/**
 * Builds `pkg` inside the module at `moduleDir` into `output`. `go build -v` prints each package as it is
 * compiled; against the size of `go list -deps` that gives a real "n of m" for a build of many minutes.
 */
export async function buildGoBinary(
  name: string,
  moduleDir: string,
  pkg: string,
  output: string,
  progress: Progress,
): Promise<void> {
  await runGo(['mod', 'tidy'], moduleDir);
  const { stdout: deps } = await runGo(['list', '-deps', pkg], moduleDir);
  const total = deps.split('\n').filter(Boolean).length;
  let compiled = 0;
  let lastReport = 0;
  await runGo(
    ['build', '-v', '-trimpath', '-ldflags=-s -w', '-o', output, pkg],
    moduleDir,
    (line) => {
      compiled += 1;
      const now = Date.now();
      if (now - lastReport > 15_000) {
        lastReport = now;
        progress(`${name}: compiled ${compiled} of ~${total} packages (${line})`);
      }
    },
    { CGO_ENABLED: '0' },
  );
  progress(`${name}: built`);
}

interface GoResult {
  stdout: string;
  stderr: string;
}

function runGo(
  args: string[],
  cwd: string,
  onStderrLine?: (line: string) => void,
  env: Record<string, string> = {},
): Promise<GoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const stderrLines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrLines.push(line);
      if (stderrLines.length > 200) stderrLines.shift();
      onStderrLine?.(line);
    });
    child.on('error', (err) =>
      reject(new Error(`cannot run \`go\` (is Go installed and on PATH?): ${err.message}`, { cause: err })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr: stderrLines.join('\n') });
      else
        reject(new Error(`go ${args.join(' ')} exited with ${code} in ${cwd}:\n${stderrLines.join('\n')}`));
    });
  });
}
