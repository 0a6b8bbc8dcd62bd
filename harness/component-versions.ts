// The versions of the real components the tests run against, and where their binaries are cached.
// Changing a version here changes the cache key, so the next run builds or downloads it afresh.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const componentVersions = {
  /** k8s.io/kubernetes; its staging modules are published as v0.<minor>.<patch>. */
  kubernetes: 'v1.34.4',
  /** go.etcd.io/etcd/server/v3, the 3.6 line that kube-apiserver 1.34 is tested with. */
  etcd: 'v3.6.16',
  /** sigs.k8s.io/gateway-api; the standard-channel CRDs are read from the module. */
  gatewayApi: 'v1.4.1',
  /**
   * github.com/traefik/traefik/v3: the binary of the data-plane tests and its CRDs. Every v3.7 release
   * replaces a module by a path inside its repository that the module zip lacks, and names dependency
   * versions the module proxy here refuses (403), so 3.6 is the newest line that builds from the proxy.
   */
  traefik: 'v3.6.12',
  /** istio.io/api: VirtualService, DestinationRule and the other networking CRDs. */
  istioApi: 'v1.32.0',
  /** github.com/servicemeshinterface/smi-sdk-go: the TrafficSplit CRD (apiextensions v1beta1, converted). */
  smiSdk: 'v0.5.0',
  /** github.com/projectcontour/contour: HTTPProxy. */
  contour: 'v1.33.8',
  /** github.com/fluxcd/{source,kustomize}-controller; v1.10 needs Go 1.27 to be downloaded. */
  fluxSourceController: 'v1.9.6',
  fluxKustomizeController: 'v1.9.6',
  /** github.com/argoproj/argo-cd/v3: the Application CRD; v3.6 needs Go 1.27 to be downloaded. */
  argoCd: 'v3.5.7',
  /**
   * sigs.k8s.io/kustomize/kustomize/v5: the `kustomize build` of the GitOps emulator. v5.8.1 is the kustomize
   * (api v0.21.1) that both kustomize-controller v1.9.6 and Argo CD v3.5.7 link.
   */
  kustomize: 'v5.8.1',
} as const;

/** The staging modules of k8s.io/kubernetes vX.Y.Z are published as v0.Y.Z. */
export function stagingVersion(kubernetesVersion: string): string {
  const match = /^v1\.(\d+\.\d+)$/.exec(kubernetesVersion);
  if (!match?.[1]) throw new Error(`not a released Kubernetes version: ${kubernetesVersion}`);
  return `v0.${match[1]}`;
}

/** Outside the repository, so a fresh clone or `git clean` keeps the built binaries. */
export function cacheDir(): string {
  if (process.env.GITCANARY_CACHE_DIR) return process.env.GITCANARY_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'gitcanary');
}
