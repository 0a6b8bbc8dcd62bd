// The CustomResourceDefinitions of other projects that the test API server serves, each read from the Go
// module the project publishes (fetched with `go mod download`, version pinned in component-versions.ts),
// so the API server validates what routers and GitOps integrations write against the real schemas.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { componentVersions } from './component-versions.js';
import type { CrdV1, CrdV1beta1 } from './crd-conversion.js';
import { downloadGoModule } from './go-modules.js';
import { trafficSplitCrd } from './smi-traffic-split-crd.js';

interface CrdDocument {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { group?: string };
}

export interface CrdSet {
  /** Also the name of its subdirectory under GITCANARY_CRDS_DIR. */
  name: string;
  module: string;
  version: string;
  /** Files, or directories whose YAML files are all read, inside the module. */
  paths: string[];
  /** Which of the files' CRDs to install; all when absent. */
  keep?: (crd: CrdDocument) => boolean;
  /** Turns a document into an installable v1 CRD (e.g. from v1beta1). */
  toV1?: (crd: CrdDocument) => CrdV1;
}

function names(crd: CrdDocument, ...plurals: string[]): boolean {
  return plurals.some((plural) => crd.metadata?.name === `${plural}.${crd.spec?.group}`);
}

export const crdSets = [
  {
    name: 'gateway-api',
    module: 'sigs.k8s.io/gateway-api',
    version: componentVersions.gatewayApi,
    paths: ['config/crd/standard'],
  },
  {
    name: 'istio',
    module: 'istio.io/api',
    version: componentVersions.istioApi,
    paths: ['kubernetes/customresourcedefinitions.gen.yaml'],
    // What Flagger's Istio router writes. Every CRD costs the API server time to establish at each start
    // of the suite, so the file's other 13 are left out.
    keep: (crd) => names(crd, 'virtualservices', 'destinationrules'),
  },
  {
    name: 'smi',
    module: 'github.com/servicemeshinterface/smi-sdk-go',
    version: componentVersions.smiSdk,
    paths: ['crds/split.yaml'],
    toV1: (crd) => trafficSplitCrd(crd as CrdV1beta1),
  },
  {
    name: 'contour',
    module: 'github.com/projectcontour/contour',
    version: componentVersions.contour,
    paths: ['examples/contour/01-crds.yaml'],
    keep: (crd) => names(crd, 'httpproxies'), // the router's only kind; the other four are large
  },
  {
    name: 'traefik',
    module: 'github.com/traefik/traefik/v3',
    version: componentVersions.traefik,
    paths: ['docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml'],
  },
  {
    name: 'flux-source-controller',
    module: 'github.com/fluxcd/source-controller',
    version: componentVersions.fluxSourceController,
    paths: ['config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml'],
  },
  {
    name: 'flux-kustomize-controller',
    module: 'github.com/fluxcd/kustomize-controller',
    version: componentVersions.fluxKustomizeController,
    paths: ['config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml'],
  },
  {
    name: 'argocd',
    module: 'github.com/argoproj/argo-cd/v3',
    version: componentVersions.argoCd,
    paths: ['manifests/crds/application-crd.yaml'],
  },
] as const satisfies readonly CrdSet[];

export type CrdSetName = (typeof crdSets)[number]['name'];

/**
 * Where a set's files are: GITCANARY_CRDS_DIR/<name>/ for a machine without Go (GITCANARY_GATEWAY_API_CRDS
 * for the Gateway API, as before), otherwise the module, downloaded into Go's module cache.
 */
export async function crdSetFiles(set: CrdSet): Promise<string[]> {
  const override =
    set.name === 'gateway-api' && process.env.GITCANARY_GATEWAY_API_CRDS
      ? process.env.GITCANARY_GATEWAY_API_CRDS
      : process.env.GITCANARY_CRDS_DIR && join(process.env.GITCANARY_CRDS_DIR, set.name);
  const roots = override ? [override] : await moduleRoots(set);
  const files: string[] = [];
  for (const root of roots) files.push(...(await yamlFiles(root)));
  if (files.length === 0) throw new Error(`no CRD files for ${set.name} in ${roots.join(', ')}`);
  return files;
}

async function moduleRoots(set: CrdSet): Promise<string[]> {
  const { dir } = await downloadGoModule(set.module, set.version);
  return set.paths.map((path) => join(dir, path));
}

async function yamlFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((name) => /\.ya?ml$/.test(name)).sort();
  return names.map((name) => join(path, name));
}

/** The CRDs of a set, ready to install. */
export async function loadCrdSet(set: CrdSet): Promise<V1CustomResourceDefinition[]> {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of await crdSetFiles(set)) {
    for (const doc of loadAll(await readFile(file, 'utf8'))) {
      const crd = doc as CrdDocument | null;
      if (crd?.kind !== 'CustomResourceDefinition' || (set.keep && !set.keep(crd))) continue;
      // The objects are sent as JSON exactly as they are; client-node's type only names the shape.
      crds.push((set.toV1 ? set.toV1(crd) : crd) as V1CustomResourceDefinition);
    }
  }
  if (crds.length === 0) throw new Error(`${set.module}@${set.version}: no CustomResourceDefinition kept`);
  return crds;
}
