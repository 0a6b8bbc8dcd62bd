// The build step of the GitOps emulator: the objects an app folder renders to at one revision, as each tool
// renders it. A folder with a kustomization.yaml is `kustomize build` for both (the real kustomize, built from
// its Go module). Without one, Flux's kustomize-controller writes a kustomization.yaml listing every YAML file
// below the folder (a subfolder with its own kustomization.yaml as one entry) and builds that, failing on a
// file that is not a Kubernetes object; Argo CD reads the folder's own YAML and JSON files (not recursive) as
// they are, with no kustomize at all.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { gitCli } from './git-cli.js';
import type { Unstructured } from './raw-kube.js';

const execFileAsync = promisify(execFile);

export type Tool = 'flux' | 'argocd';

const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export class BuildError extends Error {
  readonly code = 'BuildFailed';
}

/** The objects `path` of the repository `gitDir` renders to at `revision`, in the order the build gives. */
export async function buildFolder(options: {
  tool: Tool;
  kustomize: string;
  gitDir: string;
  revision: string;
  path: string;
}): Promise<Unstructured[]> {
  const work = await mkdtemp(join(tmpdir(), 'gitcanary-gitops-build-'));
  try {
    const pathspec = options.path === '' ? '.' : options.path;
    try {
      // An index of its own: the repository (the git server's) is only read.
      await gitCli(
        [
          '--git-dir',
          options.gitDir,
          '--work-tree',
          work,
          'checkout',
          '--quiet',
          '-f',
          options.revision,
          '--',
          pathspec,
        ],
        undefined,
        { GIT_INDEX_FILE: join(work, '.index') },
      );
    } catch (err) {
      throw new BuildError(`${options.path}: not found at ${options.revision.slice(0, 12)}`, { cause: err });
    }
    const folder = join(work, options.path);
    if (hasKustomization(folder)) return await kustomizeBuild(options.kustomize, folder);
    if (options.tool === 'flux') {
      await writeFile(join(folder, 'kustomization.yaml'), await fluxGeneratedKustomization(folder));
      return await kustomizeBuild(options.kustomize, folder);
    }
    return await argoDirectory(folder);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function hasKustomization(folder: string): boolean {
  return kustomizationFiles.some((name) => existsSync(join(folder, name)));
}

async function kustomizeBuild(kustomize: string, folder: string): Promise<Unstructured[]> {
  try {
    const { stdout } = await execFileAsync(kustomize, ['build', folder], { maxBuffer: 64 << 20 });
    return objectsOf(stdout, 'kustomize build');
  } catch (err) {
    if (err instanceof BuildError) throw err;
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new BuildError(`kustomize build: ${stderr.trim()}`, { cause: err });
  }
}

/** What kustomize-controller generates for a folder without a kustomization.yaml. */
async function fluxGeneratedKustomization(root: string): Promise<string> {
  const resources: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (hasKustomization(path)) resources.push(relative(root, path));
        else await walk(path);
        continue;
      }
      if (!/\.ya?ml$/.test(entry.name)) continue;
      // Every YAML file must decode as Kubernetes objects, or the whole build fails.
      objectsOf(await readFile(path, 'utf8'), relative(root, path));
      resources.push(relative(root, path));
    }
  };
  await walk(root);
  const list = resources.map((r) => `  - ${r}\n`).join('');
  return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${list}`;
}

async function argoDirectory(folder: string): Promise<Unstructured[]> {
  const objects: Unstructured[] = [];
  const names = (await readdir(folder, { withFileTypes: true }))
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => e.name)
    .sort();
  for (const name of names) objects.push(...objectsOf(await readFile(join(folder, name), 'utf8'), name));
  return objects;
}

function objectsOf(text: string, source: string): Unstructured[] {
  const objects: Unstructured[] = [];
  for (const doc of loadAll(text)) {
    if (doc === null || doc === undefined) continue;
    const object = doc as Partial<Unstructured>;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || !object.metadata?.name)
      throw new BuildError(`${source}: a document that is not a Kubernetes object`);
    objects.push(object as Unstructured);
  }
  return objects;
}
