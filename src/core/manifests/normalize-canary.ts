// Turns a Canary document of any accepted apiVersion into the one CanarySpec the rest of gitcanary reads,
// applying Flagger's defaults and the rules that relate fields. Every problem found is reported with the
// path of the field as written in that document (`spec.canaryAnalysis.stepWeight` for v1alpha3).
import type { CanaryAnalysis, CanarySpec, SourceRef } from '../model.js';
import { CanaryDocument, FLAGGER_V1ALPHA3, GITCANARY_V1ALPHA1 } from './canary-schema.js';
import type { CanaryAnalysisSpec } from './canary-schema.js';
import { InvalidDurationError, parseDuration } from './duration.js';
import { formatFieldPath } from './manifest-error.js';
import type { ManifestError } from './manifest-error.js';

// Flagger's defaults (pkg/apis/flagger/v1beta1/canary.go and the scheduler), so a migrated Canary means
// what it meant under Flagger.
export const DEFAULT_ANALYSIS_INTERVAL = '1m';
export const DEFAULT_THRESHOLD = 1;
export const DEFAULT_MAX_WEIGHT = 100;

export interface NormalizeCanaryContext {
  source: SourceRef;
  /** The namespace of a Canary without `metadata.namespace`. */
  defaultNamespace: string;
}

export type NormalizeCanaryResult = { ok: true; canary: CanarySpec } | { ok: false; errors: ManifestError[] };

interface FieldIssue {
  field: string;
  message: string;
}

export function normalizeCanary(document: unknown, context: NormalizeCanaryContext): NormalizeCanaryResult {
  const fail = (issues: FieldIssue[]): NormalizeCanaryResult => ({
    ok: false,
    errors: issues.map((issue) => ({
      code: 'ManifestInvalid',
      file: context.source.file,
      document: context.source.document,
      field: issue.field,
      message: issue.message,
      ...canaryKeyOf(document, context.defaultNamespace),
    })),
  });

  const parsed = CanaryDocument.safeParse(document, {
    error: (issue) => (issue.input === undefined ? 'required' : undefined),
  });
  if (!parsed.success) {
    return fail(
      parsed.error.issues.map((issue) => ({ field: formatFieldPath(issue.path), message: issue.message })),
    );
  }
  const { apiVersion, metadata, spec } = parsed.data;

  const issues: FieldIssue[] = [];
  const { analysisSpec, analysisField } = selectAnalysis(parsed.data);
  if (analysisSpec === undefined) issues.push({ field: analysisField, message: 'required' });
  const analysis = analysisSpec && normalizeAnalysis(analysisSpec, analysisField, issues);

  const provider = spec.provider?.startsWith('gatewayapi') ? 'gatewayapi' : 'kubernetes';
  const gatewayRefs = (spec.service.gatewayRefs ?? []).map((ref) => ({
    name: ref.name,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    ...(ref.sectionName ? { sectionName: ref.sectionName } : {}),
  }));
  if (provider === 'gatewayapi' && gatewayRefs.length === 0) {
    issues.push({
      field: 'spec.service.gatewayRefs',
      message: 'provider gatewayapi needs at least one gateway to attach the HTTPRoute to',
    });
  }

  if (issues.length > 0 || analysis === undefined) return fail(issues);
  return {
    ok: true,
    canary: {
      source: context.source,
      apiVersion,
      namespace: metadata.namespace ?? context.defaultNamespace,
      name: metadata.name,
      targetName: spec.targetRef.name,
      provider,
      service: {
        port: spec.service.port,
        apexName: spec.service.name ?? spec.targetRef.name,
        gatewayRefs,
        hosts: spec.service.hosts ?? [],
      },
      analysis,
      skipAnalysis: spec.skipAnalysis ?? false,
      suspend: spec.suspend ?? false,
      ...(spec.progressDeadlineSeconds != null
        ? { progressDeadlineSeconds: spec.progressDeadlineSeconds }
        : {}),
      annotations: metadata.annotations ?? {},
    },
  };
}

/** Which field holds the analysis in this apiVersion, and its path for errors. */
function selectAnalysis(document: CanaryDocument): {
  analysisSpec: CanaryAnalysisSpec | undefined;
  analysisField: string;
} {
  switch (document.apiVersion) {
    case GITCANARY_V1ALPHA1:
      return { analysisSpec: document.spec.analysis ?? undefined, analysisField: 'spec.analysis' };
    case FLAGGER_V1ALPHA3:
      return {
        analysisSpec: document.spec.canaryAnalysis ?? undefined,
        analysisField: 'spec.canaryAnalysis',
      };
    default:
      // As Flagger's GetAnalysis: `analysis` wins, the deprecated `canaryAnalysis` is the fallback.
      if (document.spec.analysis == null && document.spec.canaryAnalysis != null) {
        return { analysisSpec: document.spec.canaryAnalysis, analysisField: 'spec.canaryAnalysis' };
      }
      return { analysisSpec: document.spec.analysis ?? undefined, analysisField: 'spec.analysis' };
  }
}

function normalizeAnalysis(
  spec: CanaryAnalysisSpec,
  at: string,
  issues: FieldIssue[],
): CanaryAnalysis | undefined {
  const before = issues.length;
  const intervalSeconds = readInterval(spec.interval ?? DEFAULT_ANALYSIS_INTERVAL, `${at}.interval`, issues);
  const maxWeight = spec.maxWeight ?? undefined;
  const stepWeight = spec.stepWeight ?? undefined;
  const iterations = spec.iterations ?? undefined;
  // An empty list is "not set", as in Flagger (templating tools often render one).
  const stepWeights = spec.stepWeights?.length ? spec.stepWeights : undefined;

  if (stepWeights !== undefined) checkStepWeights(stepWeights, maxWeight, `${at}.stepWeights`, issues);
  if (stepWeight !== undefined && stepWeights !== undefined) {
    issues.push({ field: `${at}.stepWeights`, message: 'give either stepWeight or stepWeights, not both' });
  }
  if (iterations !== undefined && (stepWeight !== undefined || stepWeights !== undefined)) {
    issues.push({
      field: `${at}.iterations`,
      message: 'iterations (blue/green) cannot be combined with stepWeight or stepWeights (traffic shifting)',
    });
  }
  if (stepWeight === undefined && stepWeights === undefined && iterations === undefined) {
    issues.push({ field: at, message: 'one of stepWeight, stepWeights or iterations is required' });
  }
  if (stepWeight !== undefined && maxWeight !== undefined && stepWeight > maxWeight) {
    issues.push({ field: `${at}.stepWeight`, message: `${stepWeight} is above maxWeight (${maxWeight})` });
  }
  if (issues.length > before || intervalSeconds === undefined) return undefined;

  // Flagger's scheduler: with stepWeights the last step is the maximum, whatever maxWeight says.
  const effectiveMaxWeight =
    stepWeights !== undefined
      ? stepWeights.at(-1)
      : stepWeight !== undefined
        ? (maxWeight ?? DEFAULT_MAX_WEIGHT)
        : maxWeight;
  return {
    intervalSeconds,
    threshold: spec.threshold ?? DEFAULT_THRESHOLD,
    ...(effectiveMaxWeight !== undefined ? { maxWeight: effectiveMaxWeight } : {}),
    ...(stepWeight !== undefined ? { stepWeight } : {}),
    ...(stepWeights !== undefined ? { stepWeights: [...stepWeights] } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    ...(spec.metrics != null ? { metrics: spec.metrics } : {}),
    ...(spec.webhooks != null ? { webhooks: spec.webhooks } : {}),
    ...(spec.alerts != null ? { alerts: spec.alerts } : {}),
  };
}

function readInterval(text: string, field: string, issues: FieldIssue[]): number | undefined {
  try {
    const seconds = parseDuration(text);
    if (seconds > 0) return seconds;
    issues.push({ field, message: `must be longer than zero, got "${text}"` });
  } catch (error) {
    if (!(error instanceof InvalidDurationError)) throw error;
    issues.push({ field, message: error.message });
  }
  return undefined;
}

function checkStepWeights(
  stepWeights: readonly number[],
  maxWeight: number | undefined,
  field: string,
  issues: FieldIssue[],
): void {
  stepWeights.forEach((weight, index) => {
    const previous = stepWeights[index - 1];
    if (weight < 1 || weight > 100) {
      issues.push({ field, message: `step ${index} (${weight}) must be from 1 to 100` });
    } else if (previous !== undefined && weight <= previous) {
      issues.push({
        field,
        message: `must be strictly increasing: step ${index} (${weight}) follows ${previous}`,
      });
    } else if (maxWeight !== undefined && weight > maxWeight) {
      issues.push({ field, message: `step ${index} (${weight}) is above maxWeight (${maxWeight})` });
    }
  });
}

/** `{ canary: "ns/name" }` when the document names itself, even if it is otherwise invalid. */
function canaryKeyOf(document: unknown, defaultNamespace: string): { canary?: string } {
  const metadata = isRecord(document) ? document.metadata : undefined;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') return {};
  const namespace =
    typeof metadata.namespace === 'string' && metadata.namespace !== ''
      ? metadata.namespace
      : defaultNamespace;
  return { canary: `${namespace}/${metadata.name}` };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
