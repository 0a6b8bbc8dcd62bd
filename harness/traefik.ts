// A real Traefik for tests that check where requests go: its Kubernetes CRD provider and Gateway API
// provider watch the test API server, it listens on loopback only, and its Prometheus metrics can be
// scraped by the harness's Prometheus. Several may run at once: each serves only the GatewayClass it
// creates (by label) and, if told, only some namespaces.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
} from '@kubernetes/client-node';
import { kubeConfigFor, kubeconfigYaml, type ControlPlaneAccess } from './control-plane.js';
import { freePort } from './free-port.js';
import { sendRequests } from './loopback-backends.js';
import { startOwnedProcess, waitUntil, type OwnedProcess } from './owned-process.js';
import { instantQuery, type PrometheusAccess } from './prometheus.js';

/** What Traefik's Gateway API provider takes as its own (pkg/provider/kubernetes/gateway). */
export const traefikControllerName = 'traefik.io/gateway-controller';

export interface TraefikOptions {
  binary: string;
  controlPlane: ControlPlaneAccess;
  /** Watch only these namespaces (all when absent). */
  namespaces?: string[];
  /** Register Traefik's /metrics with this Prometheus (label `traefik="<id>"`) and wait for a scrape. */
  prometheus?: PrometheusAccess;
}

export interface Traefik {
  /** Names its GatewayClass and labels its metrics in Prometheus. */
  id: string;
  /** http://127.0.0.1:<port>, the `web` entry point: send traffic here with a Host header. */
  webUrl: string;
  webPort: number;
  /** http://127.0.0.1:<port>, the `traefik` entry point: /api/…, /ping and /metrics. */
  apiUrl: string;
  /** The GatewayClass this instance serves: put Gateways on it (see createTraefikGateway). */
  gatewayClassName: string;
  process: OwnedProcess;
  /** GET <apiUrl>/api/<path> as JSON, e.g. `http/services` to see what Traefik has loaded. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startTraefik(options: TraefikOptions): Promise<Traefik> {
  const id = randomBytes(4).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-traefik-'));
  const kc = kubeConfigFor(options.controlPlane);
  const gatewayClassName = `traefik-${id}`;
  // Undone in reverse order by stop(), also when the start fails half-way.
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const [webPort, apiPort] = [await freePort(), await freePort()];
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(options.controlPlane), { mode: 0o600 });
    const namespaces = options.namespaces?.length ? [options.namespaces.join(',')] : [];
    const args = [
      // Nothing leaves the machine: no version check, no usage report.
      '--global.checkNewVersion=false',
      '--global.sendAnonymousUsage=false',
      '--log.level=INFO',
      '--log.noColor=true',
      `--entryPoints.web.address=127.0.0.1:${webPort}`,
      `--entryPoints.traefik.address=127.0.0.1:${apiPort}`,
      '--api=true',
      '--api.insecure=true',
      '--api.dashboard=false',
      '--ping=true',
      '--metrics.prometheus=true',
      '--metrics.prometheus.addServicesLabels=true',
      '--metrics.prometheus.addRoutersLabels=true',
      // Apply a change 100 ms after the last event instead of Traefik's default 2 s.
      '--providers.providersThrottleDuration=100ms',
      '--providers.kubernetesCRD=true',
      ...namespaces.map((list) => `--providers.kubernetesCRD.namespaces=${list}`),
      '--providers.kubernetesGateway=true',
      `--providers.kubernetesGateway.labelSelector=gitcanary.test/traefik=${id}`,
      '--providers.kubernetesGateway.statusAddress.ip=127.0.0.1',
      ...namespaces.map((list) => `--providers.kubernetesGateway.namespaces=${list}`),
    ];
    // Both providers read KUBECONFIG when it is set, and prefer in-cluster settings, which are removed.
    const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig };
    delete env.KUBERNETES_SERVICE_HOST;
    delete env.KUBERNETES_SERVICE_PORT;
    const traefik = startOwnedProcess('traefik', options.binary, args, join(dir, 'traefik.log'), { env });
    cleanups.push(() => traefik.stop());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitUntil('traefik /ping', async () => (await fetch(`${apiUrl}/ping`)).ok, {
      timeoutMs: 30_000,
      process: traefik,
    });

    await createGatewayClass(kc, gatewayClassName, id);
    cleanups.push(() => deleteGatewayClass(kc, gatewayClassName));
    await waitUntil(
      `GatewayClass ${gatewayClassName} to be Accepted by traefik`,
      async () => conditionTrue(await readGatewayClass(kc, gatewayClassName), 'Accepted'),
      { timeoutMs: 30_000, process: traefik },
    );

    if (options.prometheus) {
      const unregister = await registerWithPrometheus(options.prometheus, id, apiPort, traefik);
      cleanups.push(unregister);
    }

    return {
      id,
      webUrl: `http://127.0.0.1:${webPort}`,
      webPort,
      apiUrl,
      gatewayClassName,
      process: traefik,
      async api<T>(path: string): Promise<T> {
        const response = await fetch(`${apiUrl}/api/${path}`);
        if (!response.ok) throw new Error(`traefik GET /api/${path}: HTTP ${response.status}`);
        return (await response.json()) as T;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface WithConditions {
  status?: { conditions?: Condition[] };
}

function conditionTrue(object: WithConditions, type: string): boolean {
  return object.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

const gatewayApi = { group: 'gateway.networking.k8s.io', version: 'v1' };

async function createGatewayClass(kc: KubeConfig, name: string, id: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    ...gatewayApi,
    plural: 'gatewayclasses',
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name, labels: { 'gitcanary.test/traefik': id } },
      spec: { controllerName: traefikControllerName },
    },
  });
}

async function readGatewayClass(kc: KubeConfig, name: string): Promise<WithConditions> {
  return (await kc
    .makeApiClient(CustomObjectsApi)
    .getClusterCustomObject({ ...gatewayApi, plural: 'gatewayclasses', name })) as WithConditions;
}

async function deleteGatewayClass(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({ ...gatewayApi, plural: 'gatewayclasses', name });
}

/**
 * A Gateway on `traefik`'s GatewayClass with one HTTP listener on its `web` entry point (Traefik maps a
 * listener to the entry point of the same port), taking routes from its own namespace; returns once
 * Traefik has programmed it.
 */
export async function createTraefikGateway(
  kc: KubeConfig,
  namespace: string,
  traefik: Traefik,
  name = 'traefik',
): Promise<{ name: string; namespace: string }> {
  await KubernetesObjectApi.makeApiClient(kc).patch(
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace },
      spec: {
        gatewayClassName: traefik.gatewayClassName,
        listeners: [
          {
            name: 'web',
            port: traefik.webPort,
            protocol: 'HTTP',
            allowedRoutes: { namespaces: { from: 'Same' } },
          },
        ],
      },
    },
    undefined,
    undefined,
    'gitcanary-test',
    true,
    PatchStrategy.ServerSideApply,
  );
  const objects = kc.makeApiClient(CustomObjectsApi);
  await waitUntil(
    `Gateway ${namespace}/${name} to be Programmed by traefik`,
    async () =>
      conditionTrue(
        (await objects.getNamespacedCustomObject({
          ...gatewayApi,
          plural: 'gateways',
          namespace,
          name,
        })) as WithConditions,
        'Programmed',
      ),
    { timeoutMs: 30_000, process: traefik.process },
  );
  return { name, namespace };
}

/** The conditions Traefik wrote for a route under the parent `gateway` (status.parents[]). */
export async function routeParentConditions(
  kc: KubeConfig,
  namespace: string,
  route: string,
  gateway: string,
): Promise<Condition[]> {
  const live = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    ...gatewayApi,
    plural: 'httproutes',
    namespace,
    name: route,
  })) as {
    status?: {
      parents?: { parentRef: { name: string }; controllerName: string; conditions?: Condition[] }[];
    };
  };
  const parent = live.status?.parents?.find(
    (p) => p.parentRef.name === gateway && p.controllerName === traefikControllerName,
  );
  return parent?.conditions ?? [];
}

async function registerWithPrometheus(
  prometheus: PrometheusAccess,
  id: string,
  port: number,
  traefik: OwnedProcess,
): Promise<() => Promise<void>> {
  // Write then rename, so Prometheus never reads a half-written target file.
  const targetFile = join(prometheus.targetsDir, `traefik-${id}.json`);
  await writeFile(
    `${targetFile}.tmp`,
    JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { traefik: id } }]),
  );
  await rename(`${targetFile}.tmp`, targetFile);
  const unregister = () => rm(targetFile, { force: true });
  try {
    await waitUntil(
      `Prometheus's first scrape of traefik ${id}`,
      async () => (await instantQuery(prometheus.url, `up{traefik="${id}"}`)).some((s) => s.value === 1),
      { timeoutMs: 30_000, intervalMs: 250, process: traefik },
    );
  } catch (err) {
    await unregister();
    throw err;
  }
  return unregister;
}

/**
 * Waits until requests for `host` reach a backend through Traefik (an answer carrying `x-backend`,
 * whatever its status), i.e. until Traefik has loaded the route and its endpoints.
 */
export async function waitForRoute(traefik: Traefik, host: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    `traefik to route ${host}`,
    async () => (await sendRequests(traefik.webUrl, host, 1, { concurrency: 1 })).unrouted === 0,
    { timeoutMs, intervalMs: 200, process: traefik.process },
  );
}
