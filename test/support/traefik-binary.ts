// Finds or builds the Traefik binary that the data-plane tests send real requests through. TRAEFIK_BINARY
// wins; otherwise it is built once from the github.com/traefik/traefik/v3 module with the machine's Go and
// cached by version outside the repository, like the control plane.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir, componentVersions } from './component-versions.js';
import {
  buildAtomically,
  downloadGoModule,
  readGoModFile,
  wrapperGoMod,
  type Progress,
} from './go-modules.js';
import { isExecutable } from './is-executable.js';

export interface TraefikBinary {
  path: string;
  /** Where it came from, for the harness's log line. */
  source: 'TRAEFIK_BINARY' | 'cache' | 'built';
}

const traefikModule = 'github.com/traefik/traefik/v3';

export async function ensureTraefikBinary(progress: Progress): Promise<TraefikBinary> {
  const override = process.env.TRAEFIK_BINARY;
  if (override) {
    if (!(await isExecutable(override)))
      throw new Error(`TRAEFIK_BINARY=${override} is set but is missing or not executable`);
    return { path: override, source: 'TRAEFIK_BINARY' };
  }

  const { traefik } = componentVersions;
  const dir = join(cacheDir(), 'traefik', traefik);
  const path = join(dir, 'traefik');
  if (await isExecutable(path)) return { path, source: 'cache' };

  progress(`building traefik ${traefik} from ${traefikModule} (once, several minutes; cached in ${dir})`);
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.build-'));
  try {
    const upstream = await downloadGoModule(traefikModule, traefik);
    // Traefik's go.mod pins its whole dependency graph and carries replace/exclude lines that Go applies
    // only in the main module, so the wrapper module repeats all of it.
    await writeFile(
      join(work, 'go.mod'),
      wrapperGoMod('gitcanary.test/traefik', await readGoModFile(upstream.goMod), traefik),
    );
    await writeFile(
      join(work, 'tools.go'),
      `//go:build tools\n\npackage tools\n\nimport _ "${traefikModule}/cmd/traefik"\n`,
    );
    await buildAtomically('traefik', work, `${traefikModule}/cmd/traefik`, path, progress, {
      ldflags: [`-X ${traefikModule}/pkg/version.Version=${traefik}`],
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { path, source: 'built' };
}
