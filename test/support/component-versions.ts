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
