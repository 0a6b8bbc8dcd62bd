// Small builders for the pure core's inputs: a Canary, a target Service, and the previous generated file.
import type { CanarySpec, KubeObject, ServiceManifest } from '../../../src/core/model.js';
import { parseGeneratedFile } from '../../../src/core/generated-file.js';
import type { CanaryPlan, PlanInput } from '../../../src/core/plan-rollout.js';

export function aCanary(overrides: Partial<CanarySpec> = {}): CanarySpec {
  return {
    source: { file: 'apps/podinfo/canary.yaml', document: 0 },
    apiVersion: 'gitcanary.dev/v1alpha1',
    namespace: 'test',
    name: 'podinfo',
    targetName: 'podinfo',
    provider: 'gatewayapi',
    service: {
      port: 9898,
      apexName: 'podinfo',
      gatewayRefs: [{ name: 'public', namespace: 'gateways' }],
      hosts: [],
    },
    analysis: { intervalSeconds: 60, threshold: 2, maxWeight: 30, stepWeight: 10 },
    skipAnalysis: false,
    suspend: false,
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
