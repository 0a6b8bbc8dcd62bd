// Thin wrappers over the `go` command: download a module into the module cache, and build a binary from a
// small wrapper module, printing progress as packages compile.
import { spawn } from 'node:child_process';
import { rename } from 'node:fs/promises';
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
  options: { ldflags?: string[] } = {},
): Promise<void> {
  await runGo(['mod', 'tidy'], moduleDir);
  const { stdout: deps } = await runGo(['list', '-deps', pkg], moduleDir);
  const total = deps.split('\n').filter(Boolean).length;
  let compiled = 0;
  let lastReport = 0;
  await runGo(
    [
      'build',
      '-v',
      '-trimpath',
      `-ldflags=${['-s', '-w', ...(options.ldflags ?? [])].join(' ')}`,
      '-o',
      output,
      pkg,
    ],
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

/** Build beside the target and rename, so an interrupted build never leaves a half-written binary. */
export async function buildAtomically(
  name: string,
  moduleDir: string,
  pkg: string,
  target: string,
  progress: Progress,
  options: { ldflags?: string[] } = {},
): Promise<void> {
  const partial = `${target}.partial-${process.pid}`;
  await buildGoBinary(name, moduleDir, pkg, partial, progress, options);
  await rename(partial, target);
}

/** The parts of `go mod edit -json` a wrapper module carries over. */
export interface GoModFile {
  Module: { Path: string };
  Go?: string;
  Require?: { Path: string; Version: string; Indirect?: boolean }[];
  Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[];
  Exclude?: { Path: string; Version: string }[];
}

export async function readGoModFile(goModPath: string): Promise<GoModFile> {
  const { stdout } = await runGo(['mod', 'edit', '-json', goModPath], process.cwd());
  return JSON.parse(stdout) as GoModFile;
}

/**
 * The go.mod of a module that requires `upstream` at `version` and builds exactly what upstream builds:
 * upstream's own requirements, `replace` and `exclude` lines, which Go honours only in the main module.
 * A replacement by a local path points into upstream's repository, which its module zip does not carry,
 * so it cannot be built this way: that is an error naming the path, not a silent drop.
 */
export function wrapperGoMod(wrapperPath: string, upstream: GoModFile, version: string): string {
  const local = (upstream.Replace ?? []).filter((r) => !r.New.Version);
  if (local.length > 0) {
    const paths = local.map((r) => `${r.Old.Path} => ${r.New.Path}`).join(', ');
    throw new Error(
      `${upstream.Module.Path}@${version} replaces modules with local paths that its module zip does not ` +
        `carry (${paths}); it cannot be built from the module proxy`,
    );
  }
  const at = (m: { Path: string; Version?: string }) => (m.Version ? `${m.Path} ${m.Version}` : m.Path);
  const block = (keyword: string, lines: string[]) =>
    lines.length === 0 ? '' : `\n${keyword} (\n${lines.map((line) => `\t${line}\n`).join('')})\n`;
  const requires = [
    `${upstream.Module.Path} ${version}`,
    ...(upstream.Require ?? []).map((r) => `${r.Path} ${r.Version}${r.Indirect ? ' // indirect' : ''}`),
  ];
  return (
    `module ${wrapperPath}\n\ngo ${upstream.Go ?? '1.24'}\n` +
    block('require', requires) +
    block(
      'replace',
      (upstream.Replace ?? []).map((r) => `${at(r.Old)} => ${at(r.New)}`),
    ) +
    block(
      'exclude',
      (upstream.Exclude ?? []).map((e) => `${e.Path} ${e.Version}`),
    )
  );
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
