// What a running Traefik has loaded for a canary's split, read from its API, and a measure of where real
// requests go: shared by the traffic-split test and `npm run demo -- --router traefik`, which both wait for
// Traefik to serve a committed weight before they send requests through it.
import type { Backend } from './loopback-backends.js';
import { waitUntil } from './owned-process.js';
import type { Traefik } from './traefik.js';

/** Which split: Traefik names a Kubernetes service `<namespace>-<service>-<port>@<provider>`. */
export interface SplitOf {
  traefik: Traefik;
  namespace: string;
  /** The target Service (e.g. `podinfo`): the split is between `<target>-primary` and `<target>-canary`. */
  target: string;
}

interface LoadedService {
  name: string;
  weighted?: { services: { name: string; weight?: number }[] };
  loadBalancer?: { servers?: { url: string }[] };
}

/** The weights Traefik has loaded for the split: [primary, canary]; undefined while it has none. */
export async function loadedWeights(split: SplitOf): Promise<[number, number] | undefined> {
  const prefix = (side: string) => `${split.namespace}-${split.target}-${side}-`;
  for (const service of await split.traefik.api<LoadedService[]>('http/services')) {
    const children = service.weighted?.services ?? [];
    const weightOf = (side: string) => {
      const child = children.find((c) => c.name.startsWith(prefix(side)));
      return child ? (child.weight ?? 1) : undefined;
    };
    const primary = weightOf('primary');
    if (primary !== undefined) return [primary, weightOf('canary') ?? 0];
  }
  return undefined;
}

/** Waits until Traefik serves `weights` ([primary, canary]). */
export async function waitForWeights(split: SplitOf, weights: [number, number]): Promise<void> {
  await waitUntil(
    `traefik to load weights ${weights.join('/')}`,
    async () => JSON.stringify(await loadedWeights(split)) === JSON.stringify(weights),
    { timeoutMs: 30_000, intervalMs: 100, process: split.traefik.process },
  );
}

/**
 * Waits until Traefik sends `side`'s Service (`primary` or `canary`) to `backend` alone, i.e. has read the
 * EndpointSlice that points it there.
 */
export async function waitForEndpoints(split: SplitOf, side: string, backend: Backend): Promise<void> {
  const prefix = `${split.namespace}-${split.target}-${side}-`;
  await waitUntil(
    `traefik to send ${side} to ${backend.name}`,
    async () => {
      const services = await split.traefik.api<LoadedService[]>('http/services');
      return services.some((service) => {
        const servers = service.loadBalancer?.servers ?? [];
        return (
          service.name.startsWith(prefix) &&
          servers.length > 0 &&
          servers.every((server) => server.url.endsWith(`:${backend.port}`))
        );
      });
    },
    { timeoutMs: 30_000, intervalMs: 100, process: split.traefik.process },
  );
}

/**
 * The IngressRoute a person writes in front of the traefik router's TraefikService (named after the target):
 * requests for `host` on the `web` entry point go to the split. gitcanary never writes it.
 */
export function ingressRouteTo(namespace: string, target: string, host: string) {
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name: target, namespace },
    spec: {
      entryPoints: ['web'],
      routes: [
        { match: `Host(\`${host}\`)`, kind: 'Rule', services: [{ name: target, kind: 'TraefikService' }] },
      ],
    },
  };
}
