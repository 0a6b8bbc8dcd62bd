// Reads a Canary's `analysis.metrics` and `analysis.webhooks` (kept raw on CanarySpec) into checks the shell
// can run, with Flagger's meaning in each apiVersion: the flagger.app versions keep the deprecated metric
// `threshold` and inline `query`; gitcanary.dev/v1alpha1 has `thresholdRange` and `templateRef` only.
import { z } from 'zod';
import type { WebhookType } from '../analysis-report.js';
import type { CanarySpec } from '../model.js';
import { FLAGGER_V1ALPHA3, FLAGGER_V1BETA1, GITCANARY_V1ALPHA1 } from '../manifests/canary-schema.js';
import { InvalidDurationError, parseDuration } from '../manifests/duration.js';
import { formatFieldPath } from '../manifests/manifest-error.js';
import { compactList } from '../manifests/shared-empty.js';
import { isBuiltinMetric, type BuiltinMetric } from './builtin-queries.js';
import type { ThresholdRange } from './evaluate-metric.js';
import { parseQueryTemplate, type QueryTemplate } from './query-template.js';
import type { FieldIssue } from '../manifests/field-issue.js';

const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const satisfies readonly WebhookType[];

// Flagger's defaults: pkg/controller/webhook.go (10s) and v1beta1.MetricInterval (1m).
const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10;
const DEFAULT_METRIC_INTERVAL = '1m';
// A pass waits for every Canary's hooks, so a hook's reach is bounded whatever the repository says (Flagger
// sets no bound; `timeout: 1000h` or `retries: 1000000000` held every other Canary). A test that runs longer
// than a minute belongs behind a confirm-* gate that is asked again each interval, not in one call.
const MAX_WEBHOOK_TIMEOUT_SECONDS = 60;
const MAX_WEBHOOK_RETRIES = 10;

type MetricSource =
  | { kind: 'builtin'; builtin: BuiltinMetric }
  | { kind: 'template'; templateRef: { name: string; namespace: string } }
  | { kind: 'query'; query: QueryTemplate };

export interface MetricCheck {
  name: string;
  /** Where it is written, for errors: `spec.analysis.metrics[0]`. */
  field: string;
  source: MetricSource;
  /** Legacy `threshold` already turned into a min or a max. */
  thresholdRange: ThresholdRange;
  /** A Prometheus range as written (`1m`), substituted for `{{ interval }}`. */
  interval: string;
  variables: Record<string, string>;
}

export interface WebhookSpec {
  name: string;
  field: string;
  type: WebhookType;
  url: string;
  timeoutSeconds: number;
  metadata: Record<string, string>;
  retries: number;
  disableTLS: boolean;
}

export interface CanaryChecks {
  metrics: MetricCheck[];
  webhooks: WebhookSpec[];
}

export const noChecks: CanaryChecks = { metrics: [], webhooks: [] };

export type { FieldIssue } from '../manifests/field-issue.js';

/** `warnings`: values taken as less than written (a hook's timeout or retries above the cap), said once. */
type ParseChecksResult = ({ ok: true; checks: CanaryChecks } | { ok: false; issues: FieldIssue[] }) & {
  warnings: FieldIssue[];
};

// Check names are written into commit trailers and the state document, one per line: a line break in one
// could forge a trailer.
const Name = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u, 'must not contain control characters or line breaks');
const StringMap = z.record(z.string(), z.string('must be a string (quote it in YAML)'));
// What `{{ variables.KEY }}` can name, plus `-` and `.` for `{{ index variables "KEY" }}`.
const VARIABLE_NAME = /^[A-Za-z_][\w.-]{0,62}$/u;
const Bound = z.number('must be a number').nullish();

const MetricEntry = z.object({
  name: Name,
  interval: z.string('must be a duration such as 1m or 30s').nullish(),
  threshold: z.number('must be a number').nullish(),
  thresholdRange: z.object({ min: Bound, max: Bound }).nullish(),
  query: z.string('must be a string').nullish(),
  templateRef: z.object({ name: Name, namespace: Name.nullish() }).nullish(),
  templateVariables: StringMap.nullish(),
});

const WebhookEntry = z.object({
  name: Name,
  type: z.enum(['', ...WEBHOOK_TYPES], { error: `must be one of ${WEBHOOK_TYPES.join(', ')}` }).nullish(),
  url: z.string(mustBe('must be a URL')),
  timeout: z.string('must be a duration such as 10s or 1m').nullish(),
  metadata: StringMap.nullish(),
  retries: z.int('must be an integer').min(0, 'must not be negative').nullish(),
  disableTLS: z.boolean().nullish(),
  // Flagger mutes alerts about this webhook's failures with it; gitcanary alerts on committed transitions,
  // never on a webhook's failure, so it is accepted and has no effect.
  muteAlert: z.boolean().nullish(),
});

// Prometheus's range syntax, not Go's: `1.5m` parses in Go but is a PromQL syntax error.
const PROMETHEUS_DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/u;

/** The path of the analysis block in this raw Canary document, the way normalizeCanary chose it. */
export function analysisFieldOf(document: Record<string, unknown>): string {
  if (document.apiVersion === FLAGGER_V1ALPHA3) return 'spec.canaryAnalysis';
  const spec = document.spec as Record<string, unknown> | undefined;
  if (document.apiVersion === FLAGGER_V1BETA1 && spec?.analysis == null && spec?.canaryAnalysis != null) {
    return 'spec.canaryAnalysis';
  }
  return 'spec.analysis';
}

/** `at` is the path of the analysis block (analysisFieldOf), used in every issue's field. */
export function parseCanaryChecks(canary: CanarySpec, at: string): ParseChecksResult {
  const issues: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const metrics = (canary.analysis.metrics ?? []).flatMap((raw, index) => {
    const metric = readMetric(raw, `${at}.metrics[${index}]`, canary, issues);
    return metric ? [metric] : [];
  });
  const seen = new Set<string>();
  for (const metric of metrics) {
    if (seen.has(metric.name)) {
      issues.push({ field: `${metric.field}.name`, message: `metric "${metric.name}" is listed twice` });
    }
    seen.add(metric.name);
  }
  const webhooks = (canary.analysis.webhooks ?? []).flatMap((raw, index) => {
    const webhook = readWebhook(raw, `${at}.webhooks[${index}]`, issues, warnings);
    return webhook ? [webhook] : [];
  });
  return issues.length > 0
    ? { ok: false, issues, warnings }
    : { ok: true, checks: { metrics: compactList(metrics), webhooks: compactList(webhooks) }, warnings };
}

function readMetric(
  raw: unknown,
  field: string,
  canary: CanarySpec,
  issues: FieldIssue[],
): MetricCheck | undefined {
  const parsed = MetricEntry.safeParse(raw, { error: requiredWhenMissing });
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((i) => ({ field: join(field, i.path), message: i.message })));
    return undefined;
  }
  const entry = parsed.data;
  const before = issues.length;
  for (const key of Object.keys(entry.templateVariables ?? {})) {
    if (VARIABLE_NAME.test(key)) continue;
    issues.push({
      field: join(field, ['templateVariables', key]),
      message: 'must be a letter or "_", then letters, digits, "_", "-" or ".", at most 63 characters',
    });
  }
  const flaggerForm = canary.apiVersion !== GITCANARY_V1ALPHA1;
  if (!flaggerForm && entry.threshold != null) {
    issues.push({
      field: `${field}.threshold`,
      message: "use thresholdRange (threshold is Flagger's old form)",
    });
  }
  if (!flaggerForm && entry.query != null) {
    issues.push({
      field: `${field}.query`,
      message: "inline queries are Flagger's old form: put the query in a MetricTemplate and use templateRef",
    });
  }

  let source: MetricSource | undefined;
  if (entry.templateRef != null && entry.query != null) {
    issues.push({ field: `${field}.query`, message: 'give either templateRef or query, not both' });
  } else if (entry.templateRef != null) {
    const { name, namespace } = entry.templateRef;
    source = { kind: 'template', templateRef: { name, namespace: namespace ?? canary.namespace } };
  } else if (entry.query != null) {
    const template = parseQueryTemplate(entry.query);
    if (entry.query.trim() === '') issues.push({ field: `${field}.query`, message: 'must not be empty' });
    else if (!template.ok) issues.push({ field: `${field}.query`, message: template.message });
    else source = { kind: 'query', query: template.template };
  } else if (isBuiltinMetric(entry.name)) {
    source = { kind: 'builtin', builtin: entry.name };
  } else {
    issues.push({
      field: `${field}.templateRef`,
      message: `required: "${entry.name}" is not a built-in metric (request-success-rate, request-duration)`,
    });
  }

  const thresholdRange = readThreshold(entry, source, field, issues);
  const interval = entry.interval ?? DEFAULT_METRIC_INTERVAL;
  if (!PROMETHEUS_DURATION.test(interval) || !/[1-9]/u.test(interval)) {
    issues.push({
      field: `${field}.interval`,
      message: `must be a Prometheus duration such as 30s, 1m or 1h30m, got "${interval}"`,
    });
  }
  if (issues.length > before || !source || !thresholdRange) return undefined;
  return {
    name: entry.name,
    field,
    source,
    thresholdRange,
    interval,
    variables: entry.templateVariables ?? {},
  };
}

/**
 * `thresholdRange` wins; Flagger's legacy `threshold` is a minimum for request-success-rate and a maximum for
 * everything else (pkg/controller/scheduler_metrics.go). A metric with neither could never fail, or in
 * Flagger fails against an implicit 0, so one of them is required.
 */
function readThreshold(
  entry: z.infer<typeof MetricEntry>,
  source: MetricSource | undefined,
  field: string,
  issues: FieldIssue[],
): ThresholdRange | undefined {
  if (entry.thresholdRange != null) {
    const { min, max } = entry.thresholdRange;
    if (min == null && max == null) {
      issues.push({ field: `${field}.thresholdRange`, message: 'give min, max or both' });
      return undefined;
    }
    if (min != null && max != null && min > max) {
      issues.push({ field: `${field}.thresholdRange`, message: `min (${min}) is above max (${max})` });
      return undefined;
    }
    return { ...(min != null ? { min } : {}), ...(max != null ? { max } : {}) };
  }
  if (entry.threshold != null) {
    const isMinimum = source?.kind === 'builtin' && source.builtin === 'request-success-rate';
    return isMinimum ? { min: entry.threshold } : { max: entry.threshold };
  }
  issues.push({ field: `${field}.thresholdRange`, message: 'required: the accepted min and/or max' });
  return undefined;
}

function readWebhook(
  raw: unknown,
  field: string,
  issues: FieldIssue[],
  warnings: FieldIssue[],
): WebhookSpec | undefined {
  const parsed = WebhookEntry.safeParse(raw, { error: requiredWhenMissing });
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((i) => ({ field: join(field, i.path), message: i.message })));
    return undefined;
  }
  const entry = parsed.data;
  const before = issues.length;
  if (!isHttpUrl(entry.url)) {
    issues.push({ field: `${field}.url`, message: 'must be an absolute http:// or https:// URL' });
  }
  let timeoutSeconds = DEFAULT_WEBHOOK_TIMEOUT_SECONDS;
  if (entry.timeout != null) {
    try {
      timeoutSeconds = parseDuration(entry.timeout);
      if (timeoutSeconds <= 0)
        issues.push({ field: `${field}.timeout`, message: 'must be longer than zero' });
      else if (timeoutSeconds > MAX_WEBHOOK_TIMEOUT_SECONDS) {
        // A value Flagger takes is not refused: it is capped, and said so.
        warnings.push({
          field: `${field}.timeout`,
          message: `taken as ${MAX_WEBHOOK_TIMEOUT_SECONDS}s, not "${entry.timeout}": a pass waits for every hook; gate a longer test with a confirm-* hook`,
        });
        timeoutSeconds = MAX_WEBHOOK_TIMEOUT_SECONDS;
      }
    } catch (error) {
      if (!(error instanceof InvalidDurationError)) throw error;
      issues.push({ field: `${field}.timeout`, message: error.message });
    }
  }
  if (issues.length > before) return undefined;
  const retries = Math.min(entry.retries ?? 0, MAX_WEBHOOK_RETRIES);
  if ((entry.retries ?? 0) > MAX_WEBHOOK_RETRIES) {
    warnings.push({
      field: `${field}.retries`,
      message: `taken as ${MAX_WEBHOOK_RETRIES}, not ${entry.retries}: a pass waits for every attempt`,
    });
  }
  return {
    name: entry.name,
    field,
    // An empty or missing type is a rollout hook (Flagger's scheduler).
    type: entry.type || 'rollout',
    url: entry.url,
    timeoutSeconds,
    metadata: entry.metadata ?? {},
    retries,
    disableTLS: entry.disableTLS ?? false,
  };
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A type error's message that still says `required` when the field is missing. */
export function mustBe(message: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : message) };
}

export function requiredWhenMissing(issue: { input?: unknown }): string | undefined {
  return issue.input === undefined ? 'required' : undefined;
}

function join(field: string, path: readonly PropertyKey[]): string {
  const rest = formatFieldPath(path);
  if (rest === '') return field;
  return rest.startsWith('[') ? `${field}${rest}` : `${field}.${rest}`;
}
