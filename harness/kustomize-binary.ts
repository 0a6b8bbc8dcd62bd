// Finds or builds the `kustomize` binary that the GitOps emulator (gitops-emulator.ts) renders folders with,
// as Flux's kustomize-controller and Argo CD's repo-server do (KUSTOMIZE_BINARY wins; see go-tool-binary.ts).
import { componentVersions } from './component-versions.js';
import { ensureGoTool, type GoToolBinary } from './go-tool-binary.js';
import type { Progress } from './go-modules.js';

export type KustomizeBinary = GoToolBinary<'KUSTOMIZE_BINARY'>;

const kustomizeModule = 'sigs.k8s.io/kustomize/kustomize/v5';

export function ensureKustomizeBinary(progress: Progress): Promise<KustomizeBinary> {
  const { kustomize } = componentVersions;
  return ensureGoTool(
    {
      name: 'kustomize',
      override: 'KUSTOMIZE_BINARY',
      module: kustomizeModule,
      version: kustomize,
      ldflags: [`-X sigs.k8s.io/kustomize/api/provenance.version=${kustomizeModule}@${kustomize}`],
    },
    progress,
  );
}
