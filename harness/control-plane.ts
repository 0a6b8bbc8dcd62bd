// A real Kubernetes control plane for the integration tests: etcd and kube-apiserver on loopback, RBAC
// on, an admin identity by static bearer token, the Gateway API standard CRDs and any other CRD sets
// asked for (test-crds.ts) installed.
import { request } from 'node:https';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { ControlPlaneBinaries } from './control-plane-binaries.js';
import { freePort } from './free-port.js';
import type { Progress } from './go-modules.js';
import { startOwnedProcess, waitUntil, type OwnedProcess } from './owned-process.js';
import { crdSets, loadCrdSet, type CrdSet } from './test-crds.js';

/** What a test needs to reach the API server; plain data, so it crosses from global setup to workers. */
export interface ControlPlaneAccess {
  server: string;
  token: string;
  /** PEM of the certificate the API server serves (self-signed, generated at start). */
  caCert: string;
}

export interface ControlPlane extends ControlPlaneAccess {
  kubeconfigPath: string;
  /** The kube-apiserver process, for tests of an API server that dies or freezes (etcd keeps the data). */
  apiserver: RestartableProcess;
  stop(): Promise<void>;
}

export interface RestartableProcess {
  /** The running process's pid (for SIGSTOP / SIGCONT); changes with each start. */
  readonly pid: number;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again with the same arguments, port and certificates; resolves once it serves. */
  start(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** The CRDs of other projects to install; the Gateway API's alone when absent. */
  crdSets?: readonly CrdSet[];
}

export async function startControlPlane(
  binaries: ControlPlaneBinaries,
  progress: Progress,
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-control-plane-'));
  const processes: (() => OwnedProcess | undefined)[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p()?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const etcd = await startEtcd(binaries.etcd, dir);
    processes.push(() => etcd.process);
    const apiserver = await startApiserver(binaries.kubeApiserver, dir, etcd.url);
    processes.push(() => apiserver.current());
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(apiserver.access), { mode: 0o600 });
    await installCrdSets(
      apiserver.access,
      options.crdSets ?? crdSets.filter((set) => set.name === 'gateway-api'),
      progress,
    );
    return { ...apiserver.access, kubeconfigPath, apiserver: apiserver.control, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startEtcd(binary: string, dir: string) {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const process = startOwnedProcess(
    'etcd',
    binary,
    [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // Test data is thrown away with the directory; fsync only slows the suite down.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  await waitUntil(
    'etcd /health',
    async () => {
      const response = await fetch(`${url}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 30_000, process },
  );
  return { url, process };
}

async function startApiserver(binary: string, dir: string, etcdUrl: string) {
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const token = randomBytes(24).toString('hex');
  const certDir = join(dir, 'certs');
  await mkdir(certDir);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(
    join(dir, 'tokens.csv'),
    `${token},gitcanary-test-admin,gitcanary-test-admin,"system:masters"\n`,
    {
      mode: 0o600,
    },
  );
  const args = [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    `--etcd-servers=${etcdUrl}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    // No controller-manager runs, so nothing would create the default ServiceAccount's token.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
  ];
  let process: OwnedProcess | undefined;
  const launch = async (): Promise<ControlPlaneAccess> => {
    const started = startOwnedProcess('kube-apiserver', binary, args, join(dir, 'kube-apiserver.log'));
    process = started;
    // With no --tls-cert-file the server writes a self-signed pair into --cert-dir before it listens.
    const certFile = join(certDir, 'apiserver.crt');
    await waitUntil('kube-apiserver serving certificate', () => Promise.resolve(existsSync(certFile)), {
      timeoutMs: 60_000,
      process: started,
    });
    const served: ControlPlaneAccess = { server, token, caCert: await readFile(certFile, 'utf8') };
    await waitUntil('kube-apiserver /readyz', async () => (await getStatus(served, '/readyz')) === 200, {
      timeoutMs: 120_000,
      intervalMs: 250,
      process: started,
    });
    return served;
  };
  const access = await launch();
  const control: RestartableProcess = {
    get pid() {
      return process?.pid ?? 0;
    },
    async kill() {
      const running = process;
      if (!running) return;
      process = undefined;
      globalThis.process.kill(running.pid, 'SIGKILL');
      await running.stop();
    },
    async start() {
      await launch();
    },
  };
  return { access, control, current: () => process };
}

function getStatus(access: ControlPlaneAccess, path: string): Promise<number> {
  return rawRequest(access, 'GET', path).then((r) => r.status);
}

/**
 * A request with a raw JSON body. client-node's typed serializer drops the keys of an unstructured CRD
 * schema it does not know by their wire names (`x-kubernetes-int-or-string`, `x-kubernetes-validations`),
 * so CRDs are created through this instead, exactly as written.
 */
function rawRequest(
  access: ControlPlaneAccess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${access.server}${path}`,
      {
        method,
        ca: access.caCert,
        headers: {
          authorization: `Bearer ${access.token}`,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Creates the CRDs as written (an existing one is left as it is), all at once, and waits until every one
 * is Established.
 */
export async function installCrds(
  access: ControlPlaneAccess,
  crds: V1CustomResourceDefinition[],
): Promise<void> {
  const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  await Promise.all(
    crds.map(async (crd) => {
      const { status, text } = await rawRequest(access, 'POST', path, crd);
      if (status !== 201 && status !== 409)
        throw new Error(`creating CRD ${crd.metadata?.name}: HTTP ${status}: ${text}`);
    }),
  );
  // Read as raw JSON: client-node's typed deserializer walks every schema node of a large CRD, which costs
  // seconds of CPU when a few dozen are polled.
  const pending = new Set(crds.map((crd) => crd.metadata?.name ?? ''));
  await waitUntil(
    `CRDs to be Established`,
    async () => {
      await Promise.all(
        [...pending].map(async (name) => {
          const { status, text } = await rawRequest(access, 'GET', `${path}/${name}`);
          const live = (status === 200 ? JSON.parse(text) : {}) as V1CustomResourceDefinition;
          if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
            pending.delete(name);
        }),
      );
      return pending.size === 0;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

export function kubeConfigFor(access: ControlPlaneAccess): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(access));
  return kc;
}

export function kubeconfigYaml(access: ControlPlaneAccess): string {
  const ca = Buffer.from(access.caCert).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${access.server}\n    certificate-authority-data: ${ca}`,
    'users:',
    `- name: admin\n  user:\n    token: ${access.token}`,
    'contexts:',
    '- name: test\n  context:\n    cluster: test\n    user: admin',
    'current-context: test',
    '',
  ].join('\n');
}

/** Installs the sets side by side; each is read from its Go module (or override directory) first. */
export async function installCrdSets(
  access: ControlPlaneAccess,
  sets: readonly CrdSet[],
  progress: Progress,
): Promise<void> {
  const start = performance.now();
  const loaded = await Promise.all(sets.map(async (set) => ({ set, crds: await loadCrdSet(set) })));
  await installCrds(
    access,
    loaded.flatMap((l) => l.crds),
  );
  const summary = loaded.map(({ set, crds }) => `${set.name} ${set.version} (${crds.length})`).join(', ');
  progress(`installed CRDs in ${((performance.now() - start) / 1000).toFixed(1)} s: ${summary}`);
}
