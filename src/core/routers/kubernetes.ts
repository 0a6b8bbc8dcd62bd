// The kubernetes router: no route at all. The primary and canary Services are all there is, so no traffic is
// shifted and a run is blue/green by iterations (Flagger's kubernetes provider does the same).
import type { Router } from './router.js';

export const kubernetesRouter: Router = {
  name: 'kubernetes',
  shiftsTraffic: false,
  check: () => [],
  routes: () => [],
  routeRefs: () => [],
  readiness: () => ({ state: 'ready' }),
  owns: () => false,
  toPrimary: (route) => route,
};
