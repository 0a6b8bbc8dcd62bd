// Small builders for the pure core's inputs: a Canary, a target Service, and the previous generated file.
import type { CanaryAnalysis, CanarySpec, KubeObject, ServiceManifest } from '../../../src/core/model.js';
import { parseGeneratedFile } from '../../../src/core/generated-file.js';
import {
  planRollout,
  type CanaryPlan,
  type PlanInput,
  type PlanResult,
} from '../../../src/core/plan-rollout.js';

/** A Canary's `service` with nothing but what is given (and gitcanary's empty defaults). */
export function aService(overrides: Partial<CanarySpec['service']> = {}): CanarySpec['service'] {
  const noMetadata = () => ({ labels: {}, annotations: {} });
  return {
    port: 9898,
    apexName: 'podinfo',
    gatewayRefs: [],
    hosts: [],
    match: [],
    mirror: [],
    apex: noMetadata(),
    primary: noMetadata(),
    canary: noMetadata(),
    unmanaged: { labels: [], annotations: [] },
    ...overrides,
  };
}

/** An analysis with the given fields and the empty defaults of the others. */
export function anAnalysis(overrides: Partial<CanaryAnalysis> = {}): CanaryAnalysis {
  return { intervalSeconds: 60, threshold: 2, match: [], mirror: false, ...overrides };
}

export function aCanary(overrides: Partial<CanarySpec> = {}): CanarySpec {
  return {
    source: { file: 'apps/podinfo/canary.yaml', document: 0 },
    apiVersion: 'gitcanary.dev/v1alpha1',
    namespace: 'test',
    name: 'podinfo',
    targetName: 'podinfo',
    provider: 'gatewayapi',
    service: aService({ gatewayRefs: [{ name: 'public', namespace: 'gateways' }] }),
    analysis: anAnalysis({ maxWeight: 30, stepWeight: 10 }),
    skipAnalysis: false,
    suspend: false,
    revertOnDeletion: false,
    annotations: {},
    ...overrides,
  };
}

export function aTarget(color = 'blue', spec: Record<string, unknown> = {}): ServiceManifest {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'podinfo', namespace: 'test', labels: { team: 'web' } },
    spec: { selector: { app: `podinfo-${color}` }, ports: [{ name: 'http', port: 9898 }], ...spec },
  };
  return {
    source: { file: 'apps/podinfo/service.yaml', document: 0 },
    namespace: 'test',
    name: 'podinfo',
    object,
  };
}

/** The input of the next reconcile, after `plan` was committed and applied. */
export function after(plan: CanaryPlan, input: PlanInput): PlanInput['previous'] {
  const content = plan.content ?? input.previous?.content;
  if (!content) throw new Error('nothing was ever generated');
  const parsed = parseGeneratedFile(input.canary, content);
  if (!parsed.ok) throw new Error(parsed.message);
  return { file: parsed.file, content };
}

export const minutes = (n: number, from = Date.parse('2026-11-26T10:00:00Z')) => new Date(from + n * 60_000);

export function expectPlan(result: PlanResult): CanaryPlan {
  if (result.kind !== 'plan') throw new Error(`expected a plan, got ${result.message}`);
  return result;
}

/** Drives reconciles one after another, each seeing the previous one's committed file and applied objects. */
export class Rollout {
  input: PlanInput;
  constructor(canary: CanarySpec = aCanary(), target: ServiceManifest = aTarget('blue')) {
    this.input = {
      now: minutes(0),
      canary,
      target,
      analysis: { checks: [], gates: {} },
      live: {},
      applies: true,
    };
  }
  reconcile(at: Date, changes: Partial<PlanInput> = {}): CanaryPlan {
    this.input = { ...this.input, ...changes, now: at };
    const plan = expectPlan(planRollout(this.input));
    const [primary, canary, ...routes] = plan.desired;
    this.input = { ...this.input, previous: after(plan, this.input), live: { primary, canary, routes } };
    return plan;
  }
}

export const weightOf = (plan: CanaryPlan, service: string) => {
  const route = plan.desired.find((o) => o.kind === 'HTTPRoute') as
    (KubeObject & { spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } }) | undefined;
  return route?.spec.rules[0]?.backendRefs.find((b) => b.name === service)?.weight;
};
export const specOf = (plan: CanaryPlan, name: string) =>
  plan.desired.find((o) => o.metadata.name === name)?.spec;
