// Finds or builds the etcd and kube-apiserver binaries the integration tests run. KUBEBUILDER_ASSETS wins
// (the envtest convention, so `setup-envtest` users need no Go); otherwise both are built from Go modules
// once and cached by version outside the repository.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isExecutable } from './is-executable.js';
import { cacheDir, componentVersions, stagingVersion } from './component-versions.js';
import { buildAtomically, downloadGoModule, type Progress } from './go-modules.js';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  /** Where they came from, for the harness's log line. */
  source: 'KUBEBUILDER_ASSETS' | 'cache' | 'built';
}

export async function ensureControlPlaneBinaries(progress: Progress): Promise<ControlPlaneBinaries> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    const binaries = { etcd: join(assets, 'etcd'), kubeApiserver: join(assets, 'kube-apiserver') };
    for (const path of Object.values(binaries)) {
      if (!(await isExecutable(path))) {
        throw new Error(`KUBEBUILDER_ASSETS=${assets} is set but ${path} is missing or not executable`);
      }
    }
    return { ...binaries, source: 'KUBEBUILDER_ASSETS' };
  }

  const { kubernetes, etcd } = componentVersions;
  const dir = join(cacheDir(), 'control-plane', `kubernetes-${kubernetes}_etcd-${etcd}`);
  const binaries = { etcd: join(dir, 'etcd'), kubeApiserver: join(dir, 'kube-apiserver') };
  if ((await isExecutable(binaries.etcd)) && (await isExecutable(binaries.kubeApiserver))) {
    return { ...binaries, source: 'cache' };
  }

  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.build-'));
  try {
    if (!(await isExecutable(binaries.etcd))) {
      progress(`building etcd ${etcd} from go.etcd.io/etcd/server/v3 (once; cached in ${dir})`);
      await buildEtcd(join(work, 'etcd'), binaries.etcd, progress);
    }
    if (!(await isExecutable(binaries.kubeApiserver))) {
      progress(
        `building kube-apiserver ${kubernetes} from k8s.io/kubernetes (once, several minutes; cached)`,
      );
      await buildKubeApiserver(join(work, 'kube-apiserver'), binaries.kubeApiserver, progress);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { ...binaries, source: 'built' };
}

async function buildEtcd(moduleDir: string, target: string, progress: Progress): Promise<void> {
  await mkdir(moduleDir, { recursive: true });
  await writeFile(
    join(moduleDir, 'go.mod'),
    `module gitcanary.test/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 ${componentVersions.etcd}\n`,
  );
  // etcd's own main package lives in the repository's root module, which is not meant to be required;
  // etcdmain.Main is the whole of it.
  await writeFile(
    join(moduleDir, 'main.go'),
    'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n',
  );
  await buildAtomically('etcd', moduleDir, '.', target, progress);
}

async function buildKubeApiserver(moduleDir: string, target: string, progress: Progress): Promise<void> {
  const { kubernetes } = componentVersions;
  const module = await downloadGoModule('k8s.io/kubernetes', kubernetes);
  const staging = stagingModules(await readFile(module.goMod, 'utf8'));
  if (staging.length === 0) throw new Error(`found no staging modules in ${module.goMod}`);
  // k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local paths, which
  // only work inside its own repository; the published v0.X.Y of each is the same code.
  const published = stagingVersion(kubernetes);
  const replaces = staging.map((path) => `\t${path} => ${path} ${published}`).join('\n');
  await mkdir(moduleDir, { recursive: true });
  await writeFile(
    join(moduleDir, 'go.mod'),
    `module gitcanary.test/kube-apiserver\n\ngo 1.24\n\nrequire k8s.io/kubernetes ${kubernetes}\n\nreplace (\n${replaces}\n)\n`,
  );
  await writeFile(
    join(moduleDir, 'tools.go'),
    '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n',
  );
  await buildAtomically(
    'kube-apiserver',
    moduleDir,
    'k8s.io/kubernetes/cmd/kube-apiserver',
    target,
    progress,
  );
}

/** The module paths that k8s.io/kubernetes's go.mod replaces with `./staging/src/...`. */
export function stagingModules(goMod: string): string[] {
  const paths = new Set<string>();
  for (const match of goMod.matchAll(/^\s*(?:replace\s+)?(\S+)\s+=>\s+\.\/staging\/src\/\S+\s*$/gm)) {
    if (match[1]) paths.add(match[1]);
  }
  return [...paths].sort();
}
