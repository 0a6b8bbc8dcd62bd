// What the integration suite's global setup hands to every test file through vitest's provide/inject.
import type { ControlPlaneAccess } from './control-plane.js';
import type { GitServerAccess } from './git-server.js';
import type { PrometheusAccess } from './prometheus.js';

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
