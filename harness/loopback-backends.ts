// Stand-ins for the pods behind a canary, for tests that send real traffic through a data plane: small
// HTTP servers on loopback that answer with their own name, Services whose EndpointSlices point at them
// (there is no kubelet or endpoint controller on the test control plane), and a client that counts
// which backend answered.
//
// The API server refuses loopback IPs in an EndpointSlice of addressType IPv4/IPv6 ("may not be in the
// loopback range"), whatever the 127.0.0.0/8 address. A slice of addressType FQDN is validated as a DNS
// name instead, which `127.0.0.1` is (four DNS labels); data planes that read slices (Traefik) put the
// address into the backend URL as it is, so the traffic stays on this machine's loopback.
import { createServer, request, Agent, type Server } from 'node:http';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';

export interface Backend {
  /** What it answers with: body `<name>` and header `x-backend: <name>`. */
  name: string;
  port: number;
  /** Requests answered so far. */
  readonly requests: number;
  /** The status it answers with from now on (200 at start), e.g. 500 for a broken canary. */
  setStatus(status: number): void;
  stop(): Promise<void>;
}

export async function startBackend(name: string): Promise<Backend> {
  let status = 200;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': name }).end(name);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error(`backend ${name} has no address`);
  return {
    name,
    port: address.port,
    get requests() {
      return requests;
    },
    setStatus(next) {
      status = next;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const fieldManager = 'gitcanary-test';

function apply(kc: KubeConfig, body: object): Promise<unknown> {
  return KubernetesObjectApi.makeApiClient(kc).patch(
    body,
    undefined,
    undefined,
    fieldManager,
    true,
    PatchStrategy.ServerSideApply,
  );
}

export interface ServicePortOptions {
  /** The Service port (80 by default). */
  port?: number;
  /** The port's name, which an EndpointSlice's port must repeat ('http' by default). */
  portName?: string;
}

/**
 * A Service without a selector (so nothing else manages its endpoints) whose one endpoint is `backend`,
 * e.g. `podinfo-primary` → blue.
 */
export async function createLoopbackService(
  kc: KubeConfig,
  namespace: string,
  name: string,
  backend: Backend,
  options: ServicePortOptions = {},
): Promise<void> {
  const { port = 80, portName = 'http' } = options;
  await apply(kc, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: [{ name: portName, port, protocol: 'TCP', targetPort: backend.port }] },
  });
  await pointServiceAt(kc, namespace, name, backend, { portName });
}

/**
 * Makes `backend` the one ready endpoint of the Service `service` (which may have a selector: no
 * controller acts on it here), replacing the endpoint set before. Idempotent, so re-pointing a Service
 * after a promotion is one more call.
 */
export async function pointServiceAt(
  kc: KubeConfig,
  namespace: string,
  service: string,
  backend: Backend,
  options: Pick<ServicePortOptions, 'portName'> = {},
): Promise<void> {
  await apply(kc, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-loopback`,
      namespace,
      labels: {
        'kubernetes.io/service-name': service,
        'endpointslice.kubernetes.io/managed-by': 'gitcanary-test',
      },
    },
    addressType: 'FQDN',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [{ name: options.portName ?? 'http', port: backend.port, protocol: 'TCP' }],
  });
}

export interface TrafficSample {
  total: number;
  /** Responses per backend name (from `x-backend`). */
  byBackend: Record<string, number>;
  /** Responses no backend gave (the data plane's own 404, 502, 503…). */
  unrouted: number;
  /** Responses per status code. */
  byStatus: Record<number, number>;
  /** The share of `backend` in percent of all responses. */
  percent(backend: string): number;
}

/**
 * Sends `count` GET requests for `host` to `url` (a data plane's entry point), a few at a time on
 * kept-alive connections, and counts who answered.
 */
export async function sendRequests(
  url: string,
  host: string,
  count: number,
  options: { path?: string; concurrency?: number } = {},
): Promise<TrafficSample> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 });
  const byBackend: Record<string, number> = {};
  const byStatus: Record<number, number> = {};
  let unrouted = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const { status, backend } = await getOnce(`${url}${options.path ?? '/'}`, host, agent);
      if (backend) byBackend[backend] = (byBackend[backend] ?? 0) + 1;
      else unrouted += 1;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  } finally {
    agent.destroy();
  }
  return {
    total: count,
    byBackend,
    unrouted,
    byStatus,
    percent: (backend) => (100 * (byBackend[backend] ?? 0)) / count,
  };
}

function getOnce(url: string, host: string, agent: Agent): Promise<{ status: number; backend?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host }, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const backend = res.headers['x-backend'];
        resolve({ status: res.statusCode ?? 0, ...(typeof backend === 'string' ? { backend } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} (Host: ${host}) timed out`)));
    req.on('error', reject);
    req.end();
  });
}
