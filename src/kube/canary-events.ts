// Kubernetes Events on the Canary, one per committed transition, so `kubectl describe canary` tells the
// same story as `git log`. Only when the Canary exists in the cluster (its CRD installed and the object
// applied by a GitOps tool); otherwise there is nothing to attach them to and nothing is written.
import { hostname } from 'node:os';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CanarySpec } from '../core/model.js';
import type { CanaryPlan } from '../core/plan-rollout.js';
import type { Restored } from '../reconcile/outcomes.js';
import { describeKubeError } from './errors.js';

export class CanaryEventRecorder {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly instance = hostname();

  constructor(
    kubeConfig: KubeConfig,
    private readonly logger: Logger,
    private readonly clock: () => Date,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async record(canary: CanarySpec, plan: CanaryPlan): Promise<void> {
    const type = plan.state.phase === 'Failed' ? 'Warning' : 'Normal';
    for (const event of plan.events) await this.create(canary, { ...event, type });
  }

  private async create(
    canary: CanarySpec,
    event: { reason: string; message: string; type: 'Normal' | 'Warning' },
  ): Promise<void> {
    const uid = await this.canaryUid(canary);
    if (!uid) return;
    const [group = '', version = ''] = canary.apiVersion.split('/');
    const now = this.clock();
    try {
      await this.core.createNamespacedEvent({
        namespace: canary.namespace,
        body: {
          metadata: { generateName: `${canary.name}.`, namespace: canary.namespace },
          involvedObject: {
            apiVersion: `${group}/${version}`,
            kind: 'Canary',
            name: canary.name,
            namespace: canary.namespace,
            uid,
          },
          reason: event.reason,
          message: event.message,
          type: event.type,
          source: { component: 'gitcanary' },
          reportingComponent: 'gitcanary',
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.logger.warn(
        { canary: `${canary.namespace}/${canary.name}`, detail: describeKubeError(err).detail },
        'could not record an Event',
      );
    }
  }

  /**
   * A Warning Event on the Canary for objects another field manager changed away from the committed step
   * and gitcanary put back, naming that manager: the sign of a GitOps tool applying a stale revision.
   */
  async recordRestored(canary: CanarySpec, restored: readonly Restored[]): Promise<void> {
    if (restored.length === 0) return;
    const managers = [...new Set(restored.flatMap((r) => r.managers))].sort();
    const by = managers.length > 0 ? managers.map((m) => `"${m}"`).join(', ') : 'another field manager';
    const objects = restored.map((r) => r.object).join(', ');
    await this.create(canary, {
      reason: 'Restored',
      type: 'Warning',
      message: `${objects} changed by ${by} away from the committed step, restored; with a GitOps tool applying the folder, prefer --apply=false (docs/gitops-tools.md)`,
    });
  }

  /** The live Canary's uid, or undefined when it is not in the cluster (or its CRD is not installed). */
  private async canaryUid(canary: CanarySpec): Promise<string | undefined> {
    const [group = '', version = ''] = canary.apiVersion.split('/');
    try {
      const live = (await this.custom.getNamespacedCustomObject({
        group,
        version,
        namespace: canary.namespace,
        plural: 'canaries',
        name: canary.name,
      })) as { metadata?: { uid?: string } };
      return live.metadata?.uid;
    } catch (err) {
      const { status, detail } = describeKubeError(err);
      if (status !== 404)
        this.logger.warn(
          { canary: `${canary.namespace}/${canary.name}`, detail },
          'could not read the Canary for its Events',
        );
      return undefined;
    }
  }
}
