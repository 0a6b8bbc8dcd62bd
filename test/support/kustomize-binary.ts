// Finds or builds the `kustomize` binary that the GitOps emulator (gitops-emulator.ts) renders folders with,
// as Flux's kustomize-controller and Argo CD's repo-server do. KUSTOMIZE_BINARY wins; otherwise it is built
// once from the sigs.k8s.io/kustomize/kustomize/v5 module with the machine's Go and cached by version
// outside the repository, like the control plane and Traefik.
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

export interface KustomizeBinary {
  path: string;
  /** Where it came from, for the harness's log line. */
  source: 'KUSTOMIZE_BINARY' | 'cache' | 'built';
}

const kustomizeModule = 'sigs.k8s.io/kustomize/kustomize/v5';

export async function ensureKustomizeBinary(progress: Progress): Promise<KustomizeBinary> {
  const override = process.env.KUSTOMIZE_BINARY;
  if (override) {
    if (!(await isExecutable(override)))
      throw new Error(`KUSTOMIZE_BINARY=${override} is set but is missing or not executable`);
    return { path: override, source: 'KUSTOMIZE_BINARY' };
  }

  const { kustomize } = componentVersions;
  const dir = join(cacheDir(), 'kustomize', kustomize);
  const path = join(dir, 'kustomize');
  if (await isExecutable(path)) return { path, source: 'cache' };

  progress(`building kustomize ${kustomize} from ${kustomizeModule} (once; cached in ${dir})`);
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.build-'));
  try {
    const upstream = await downloadGoModule(kustomizeModule, kustomize);
    // The wrapper repeats kustomize's own requirements, so the build resolves the versions its release did.
    await writeFile(
      join(work, 'go.mod'),
      wrapperGoMod('gitcanary.test/kustomize', await readGoModFile(upstream.goMod), kustomize),
    );
    await writeFile(
      join(work, 'tools.go'),
      `//go:build tools\n\npackage tools\n\nimport _ "${kustomizeModule}"\n`,
    );
    await buildAtomically('kustomize', work, kustomizeModule, path, progress, {
      ldflags: [`-X sigs.k8s.io/kustomize/api/provenance.version=${kustomizeModule}@${kustomize}`],
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { path, source: 'built' };
}
