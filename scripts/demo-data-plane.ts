// The data plane of `npm run demo -- --router traefik`: a real Traefik (built once from its Go module and
// cached, like the test harness's) in front of two loopback backends, blue and green, and 400 real requests
// at each committed step, so the demo shows where requests go beside the weight in git. There is no
// kubelet or endpoint controller on the demo's control plane: after each step the primary and canary
// Services' EndpointSlices are pointed at the backend their selector names, as the endpoint controller would.
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { ControlPlaneAccess } from '../harness/control-plane.js';
import { pointServiceAt, sendRequests, startBackend, type Backend } from '../harness/loopback-backends.js';
import { startTraefik, type Traefik } from '../harness/traefik.js';
import { ingressRouteTo, waitForEndpoints, waitForWeights, type SplitOf } from '../harness/traefik-split.js';

export const requestsPerStep = 400;

export interface DataPlaneOptions {
  kc: KubeConfig;
  controlPlane: ControlPlaneAccess;
  namespace: string;
  /** The target Service; its selector `app: <target>-<color>` names the backend. */
  target: string;
  host: string;
}

export class DemoDataPlane {
  private constructor(
    private readonly options: DataPlaneOptions,
    private readonly traefik: Traefik,
    private readonly backends: Record<string, Backend>,
  ) {}

  /**
   * Starts the backends and Traefik (watching the namespace), and applies the IngressRoute a person keeps
   * beside the Canary (as their GitOps tool would; gitcanary never writes it).
   */
  static async start(binary: string, options: DataPlaneOptions): Promise<DemoDataPlane> {
    const [blue, green] = await Promise.all([startBackend('blue'), startBackend('green')]);
    let traefik: Traefik;
    try {
      traefik = await startTraefik({
        binary,
        controlPlane: options.controlPlane,
        namespaces: [options.namespace],
      });
    } catch (err) {
      await Promise.all([blue.stop(), green.stop()]);
      throw err;
    }
    const plane = new DemoDataPlane(options, traefik, { blue, green });
    try {
      await KubernetesObjectApi.makeApiClient(options.kc).patch(
        ingressRouteTo(options.namespace, options.target, options.host),
        undefined,
        undefined,
        'demo-gitops',
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  get url(): string {
    return this.traefik.webUrl;
  }

  /**
   * After a step: points each Service at the backend its selector names, waits until Traefik serves the
   * committed weights and endpoints, sends the requests and says where they went.
   */
  async measure(canaryWeight: number): Promise<string> {
    const { kc, namespace, target, host } = this.options;
    const split: SplitOf = { traefik: this.traefik, namespace, target };
    const sides = [
      { side: 'primary', weight: 100 - canaryWeight },
      { side: 'canary', weight: canaryWeight },
    ];
    const core = kc.makeApiClient(CoreV1Api);
    const colors: Record<string, string> = {};
    for (const { side } of sides) {
      const service = await core.readNamespacedService({ name: `${target}-${side}`, namespace });
      const color = (service.spec?.selector?.app ?? '').replace(`${target}-`, '');
      const backend = this.backends[color];
      if (!backend) throw new Error(`Service ${target}-${side} selects app ${color}: no such backend`);
      colors[side] = color;
      await pointServiceAt(kc, namespace, `${target}-${side}`, backend);
    }
    await waitForWeights(split, [100 - canaryWeight, canaryWeight]);
    for (const { side, weight } of sides) {
      const backend = this.backends[colors[side] ?? ''];
      if (weight > 0 && backend) await waitForEndpoints(split, side, backend);
    }
    const sample = await sendRequests(this.traefik.webUrl, host, requestsPerStep);
    const committed = sides.map(({ side, weight }) => `${side} ${weight} % → ${colors[side]}`).join(', ');
    const green = sample.byBackend.green ?? 0;
    const unrouted = sample.unrouted ? `, ${sample.unrouted} unrouted` : '';
    return (
      `committed ${committed}; ${sample.total} requests through Traefik: ` +
      `${green} green (${sample.percent('green').toFixed(1)} %), ${sample.byBackend.blue ?? 0} blue${unrouted}`
    );
  }

  async stop(): Promise<void> {
    await this.traefik.stop();
    await Promise.all(Object.values(this.backends).map((b) => b.stop()));
  }
}
