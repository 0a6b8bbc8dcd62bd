// What the integration suite's global setup hands to every test file through vitest's provide/inject.
import type { ControlPlaneAccess } from '../../harness/control-plane.js';
import type { GitServerAccess } from '../../harness/git-server.js';
import type { PrometheusAccess } from '../../harness/prometheus.js';

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: ControlPlaneAccess;
    gitServer: GitServerAccess;
    prometheus: PrometheusAccess;
    /** The Traefik binary that startTraefik runs (built or found by global setup). */
    traefikBinary: string;
    /** The kustomize binary that the GitOps emulator builds folders with. */
    kustomizeBinary: string;
  }
}
