// One repository, one namespace and the gitcanary processes that release in it, for the fault suite: the
// target Service and a Canary with a one-second interval (so a release takes seconds), a person's clone
// that pushes releases and other commits, and checks of what git and the cluster hold.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { ControlPlane } from '../../../harness/control-plane.js';
import type { FaultyGitProxy } from '../../support/faulty-git-proxy.js';
import { createBareRepository, type GitServer } from '../../../harness/git-server.js';
import { freePort } from '../../../harness/free-port.js';
import { HumanClone } from '../../../harness/human-clone.js';
import { createTestNamespace } from '../../support/test-namespace.js';
import { GitcanaryProcess } from './gitcanary-process.js';
import { auditPushes, readHistory, steps, type Commit } from './release-history.js';

export interface FaultWorld {
  controlPlane: ControlPlane;
  gitServer: GitServer;
  proxy: FaultyGitProxy;
  kc: KubeConfig;
  scratch: string;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const target = (ns: string, color: string) => `apiVersion: v1
kind: Service
metadata:
  name: podinfo
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: podinfo
spec:
  selector:
    app: podinfo-${color}
  ports:
    - name: http
      port: 9898
      targetPort: http
`;

const canary = (ns: string, webhooks = '') => `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  targetRef:
    apiVersion: v1
    kind: Service
    name: podinfo
  provider: gatewayapi
  service:
    port: 9898
    gatewayRefs:
      - name: public-gateway
        namespace: ${ns}
  analysis:
    interval: 1s
    threshold: 2
    maxWeight: 30
    stepWeight: 10
${webhooks}`;

/** Deadlines short enough for outages to show within seconds (the defaults are minutes). */
export const fastDeadlines = {
  GITCANARY_KUBE_TIMEOUT: '2s',
  GITCANARY_GIT_TIMEOUT: '15s',
  GITCANARY_PASS_TIMEOUT: '20s',
  GITCANARY_SHUTDOWN_TIMEOUT: '8s',
};

export class ReleaseRig {
  /** Subjects of every commit the person pushed. */
  readonly humanSubjects: string[] = [];
  readonly processes: GitcanaryProcess[] = [];
  /** Times the person's push was refused because gitcanary pushed first (they pulled and pushed again). */
  humanRetries = 0;
  private releaseIndex = -1;

  private constructor(
    readonly world: FaultWorld,
    readonly name: string,
    readonly ns: string,
    readonly bareDir: string,
    readonly human: HumanClone,
  ) {}

  /** `webhooks`: YAML of `spec.analysis.webhooks`, indented as its key (4 spaces), if any. */
  static async create(world: FaultWorld, name: string, webhooks = ''): Promise<ReleaseRig> {
    const ns = await createTestNamespace(world.kc, name);
    const repo = `faults-${ns}`;
    await createBareRepository(world.gitServer, repo);
    const bareDir = join(world.gitServer.root, `${repo}.git`);
    await auditPushes(bareDir);
    const human = await HumanClone.of(world.gitServer, repo);
    const rig = new ReleaseRig(world, repo, ns, bareDir, human);
    await rig.humanCommit(
      { 'podinfo/service.yaml': target(ns, 'blue'), 'podinfo/canary.yaml': canary(ns, webhooks) },
      'add podinfo',
    );
    return rig;
  }

  /** A gitcanary process for `replica` (its own workdir), through the faulty proxy. */
  async start(replica: string, env: Record<string, string> = {}): Promise<GitcanaryProcess> {
    const workdir = join(this.world.scratch, `${this.name}-${replica}`);
    const process = GitcanaryProcess.start(
      `${this.name}/${replica}`,
      await freePort(),
      {
        GITCANARY_REPO: `${this.world.proxy.url}/${this.name}.git`,
        GITCANARY_GIT_USERNAME: this.world.gitServer.username,
        GITCANARY_GIT_PASSWORD: this.world.gitServer.password,
        GITCANARY_WORKDIR: workdir,
        KUBECONFIG: this.world.controlPlane.kubeconfigPath,
        GITCANARY_SCHEDULE: '* * * * * *',
        GITCANARY_NAMESPACES: this.ns,
        ...fastDeadlines,
        ...env,
      },
      join(this.world.scratch, `${this.name}-${replica}.log`),
    );
    this.processes.push(process);
    return process;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill('SIGKILL')));
  }

  /** A person's commit, pushed; refused pushes (gitcanary was first) are pulled and pushed again. */
  async humanCommit(files: Record<string, string>, message: string): Promise<void> {
    this.humanSubjects.push(message);
    for (let attempt = 0; ; attempt += 1) {
      try {
        if (attempt === 0) await this.human.commitAndPush(files, message);
        else {
          await this.human.git('pull', '--quiet', '--rebase', 'origin', 'main');
          await this.human.git('push', '--quiet', 'origin', 'HEAD:main');
        }
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        this.humanRetries += 1;
      }
    }
  }

  /** A release: the person changes the target's selector to `color`. */
  async release(color: string): Promise<void> {
    this.releaseIndex = (await readHistory(this.bareDir)).length;
    await this.humanCommit({ 'podinfo/service.yaml': target(this.ns, color) }, `release ${color}`);
  }

  history(): Promise<Commit[]> {
    return readHistory(this.bareDir);
  }

  /** The newest step gitcanary committed, or undefined. */
  async lastStep(): Promise<Commit | undefined> {
    return steps(await this.history()).at(-1);
  }

  /** Waits until gitcanary committed a step matching `test` after the last release. */
  async waitForStep(what: string, test: (step: Commit) => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const history = await this.history();
      if (steps(history.slice(Math.max(0, this.releaseIndex))).some(test)) return;
      if (performance.now() > deadline)
        throw new Error(`${this.name}: no step "${what}" within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  async released(): Promise<boolean> {
    const history = await this.history();
    const last = steps(history.slice(Math.max(0, this.releaseIndex))).at(-1);
    return last?.trailers['Canary-Phase'] === 'Succeeded';
  }

  /** Waits until the release succeeded in git and the cluster holds it: primary on `color`, all traffic on it. */
  async waitUntilReleased(color: string, timeoutMs = 60_000): Promise<void> {
    await this.waitForStep('Succeeded', (s) => s.trailers['Canary-Phase'] === 'Succeeded', timeoutMs);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const [primary, route] = await Promise.all([
        this.read('v1', 'Service', 'podinfo-primary'),
        this.read('gateway.networking.k8s.io/v1', 'HTTPRoute', 'podinfo'),
      ]);
      const selector = (primary as { spec?: { selector?: { app?: string } } } | undefined)?.spec?.selector
        ?.app;
      const weights = (
        route as { spec?: { rules?: { backendRefs?: { weight?: number }[] }[] } } | undefined
      )?.spec?.rules?.[0]?.backendRefs?.map((b) => b.weight);
      if (selector === `podinfo-${color}` && weights?.join() === '100,0') return;
      if (performance.now() > deadline)
        throw new Error(
          `${this.name}: cluster holds ${selector} / ${weights?.join()} after the release of ${color}`,
        );
      await sleep(250);
    }
  }

  private async read(apiVersion: string, kind: string, name: string): Promise<KubernetesObject | undefined> {
    try {
      return await KubernetesObjectApi.makeApiClient(this.world.kc).read({
        apiVersion,
        kind,
        metadata: { name, namespace: this.ns },
      });
    } catch {
      return undefined;
    }
  }
}

/** mulberry32: a small seeded generator, so a run's kill points can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function scratchDir(base: string): Promise<string> {
  return mkdtemp(join(base, 'gitcanary-faults-'));
}
