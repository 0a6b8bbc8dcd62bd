// Finds or builds one Go command of another project for the tests (Traefik, kustomize): the path in its
// environment variable wins; otherwise it is built once from its Go module with the machine's Go, in a
// wrapper module that repeats the module's own requirements (and the replace/exclude lines Go applies only in
// the main module), and cached by version outside the repository, like the control plane.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from './component-versions.js';
import {
  buildAtomically,
  downloadGoModule,
  readGoModFile,
  wrapperGoMod,
  type Progress,
} from './go-modules.js';
import { isExecutable } from './is-executable.js';

export interface GoToolBinary<Override extends string> {
  path: string;
  /** Where it came from, for the harness's log line. */
  source: Override | 'cache' | 'built';
}

export interface GoTool<Override extends string> {
  /** The binary's name, and its folder in the cache. */
  name: string;
  /** The environment variable naming a binary to use instead. */
  override: Override;
  module: string;
  version: string;
  /** The package of the command, when it is not the module's root. */
  command?: string;
  ldflags: string[];
  /** Said in the progress line: how long a build takes, when it is long. */
  buildNote?: string;
}

export async function ensureGoTool<Override extends string>(
  tool: GoTool<Override>,
  progress: Progress,
): Promise<GoToolBinary<Override>> {
  const given = process.env[tool.override];
  if (given) {
    if (!(await isExecutable(given)))
      throw new Error(`${tool.override}=${given} is set but is missing or not executable`);
    return { path: given, source: tool.override };
  }

  const dir = join(cacheDir(), tool.name, tool.version);
  const path = join(dir, tool.name);
  if (await isExecutable(path)) return { path, source: 'cache' };

  const command = tool.command ?? tool.module;
  const note = tool.buildNote ? `once, ${tool.buildNote}` : 'once';
  progress(`building ${tool.name} ${tool.version} from ${tool.module} (${note}; cached in ${dir})`);
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.build-'));
  try {
    const upstream = await downloadGoModule(tool.module, tool.version);
    await writeFile(
      join(work, 'go.mod'),
      wrapperGoMod(`gitcanary.test/${tool.name}`, await readGoModFile(upstream.goMod), tool.version),
    );
    await writeFile(join(work, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport _ "${command}"\n`);
    await buildAtomically(tool.name, work, command, path, progress, { ldflags: tool.ldflags });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { path, source: 'built' };
}
