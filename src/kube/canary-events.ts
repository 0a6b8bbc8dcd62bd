// Kubernetes Events on the Canary, one per committed transition, so `kubectl describe canary` tells the
// same story as `git log`. Only when the Canary exists in the cluster (its CRD installed and the object
// applied by a GitOps tool); otherwise there is nothing to attach them to and nothing is written. A Canary
// that stops being Ready says so once (reason Stalled or Retrying, the error's code first in the message),
// and once more when it is Ready again (Recovered), not at every poll.
import { hostname } from 'node:os';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CanarySpec } from '../core/model.js';
import { conditionChanges, type ConditionChange } from '../core/outcome-class.js';
import { canaryKey, type CanaryPlan } from '../core/plan-rollout.js';
import type { CanaryOutcome, Restored } from '../reconcile/outcomes.js';
import { describeKubeError } from './errors.js';

export class CanaryEventRecorder {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly instance = hostname();
  /** The condition last told of each Canary of the last pass. */
  private told = new Map<string, ConditionChange>();

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

  /**
   * Events for the Canaries whose condition changed in this pass. Only Canaries that resolved (`canaries`)
   * can be found in the cluster: one left out for invalid input is reported by `validate` and the logs.
   */
  async recordConditions(
    outcomes: readonly CanaryOutcome[],
    canaries: readonly { canary: CanarySpec }[],
  ): Promise<void> {
    const changes = conditionChanges(this.told, outcomes);
    const told = new Map<string, ConditionChange>();
    for (const outcome of outcomes) {
      const last = this.told.get(outcome.canary);
      if (last) told.set(outcome.canary, last);
    }
    for (const change of changes) told.set(change.canary, change);
    this.told = told;
    if (changes.length === 0) return;
    const specs = new Map(canaries.map(({ canary }) => [canaryKey(canary), canary]));
    for (const change of changes) {
      const canary = specs.get(change.canary);
      if (!canary) continue;
      await this.create(canary, conditionEvent(change));
    }
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

/** Stalled and Retrying are warnings whose message starts with the error's code; Recovered is normal. */
export function conditionEvent(change: ConditionChange): {
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
} {
  if (change.condition === 'Ready') return { reason: 'Recovered', message: change.message, type: 'Normal' };
  return { reason: change.condition, message: `${change.reason}: ${change.message}`, type: 'Warning' };
}
