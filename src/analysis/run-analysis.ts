// Collects what the planner asked for (AnalysisNeeds) into an AnalysisReport: the webhooks of the listed
// types and, when asked, every metric check, all at once and each bounded by its own timeout. A closed
// confirm-rollout gate stops the rest, so nothing with side effects (a load test) starts before approval.
// The whole of it runs under the Canary's deadline, so one Canary's slow hooks cannot hold the pass that
// every other Canary is waiting on for longer than that.
import type { AnalysisNeeds, AnalysisReport, WebhookType } from '../core/analysis-report.js';
import { builtinQuery, builtinValue, canarySelector } from '../core/analysis/builtin-queries.js';
import { evaluateMetric, type Measurement } from '../core/analysis/evaluate-metric.js';
import type { MetricTemplate } from '../core/analysis/metric-template.js';
import type { CanaryChecks, MetricCheck } from '../core/analysis/parse-checks.js';
import { queryModel, renderQuery, type QueryTemplate } from '../core/analysis/query-template.js';
import { webhookPayload } from '../core/analysis/webhook-payload.js';
import { statusLine } from '../core/analysis/status-line.js';
import type { CanarySpec, CheckResult, Phase, ServiceManifest } from '../core/model.js';
import type { AddressPolicy } from './address-policy.js';
import { readMetricCredentials } from './metric-credentials.js';
import {
  DEFAULT_QUERY_TIMEOUT_MS,
  queryPrometheus,
  type PrometheusTarget,
  type QueryOptions,
} from './prometheus-client.js';
import type { HttpTransport } from './http-transport.js';
import { callWebhooksOfType, type WebhookCallOptions, type WebhookOutcome } from './webhooks.js';

/** Settings of the process, the same for every Canary (CLI flags). */
interface AnalysisConfig {
  /** Prometheus of the built-in metrics and inline queries (`--metrics-server`, like Flagger's flag); a Canary's `spec.metricsServer` wins. */
  metricsServer?: string;
  /** Where MetricTemplate secretRefs are mounted (`<dir>/<namespace>/<secret>/token|username|password`). */
  credentialsDir?: string;
  queryTimeoutMs?: number;
  transport?: HttpTransport;
  retryDelayMs?: number;
  /**
   * Which addresses the repository's webhooks and MetricTemplates may reach (`--webhook-allow-cidrs` …).
   * Required, so that no caller forgets it; `AddressPolicy.unrestricted` is the explicit choice of a test.
   */
  addressPolicy: AddressPolicy;
  /** How long one Canary's checks may take in all (`--analysis-deadline`). */
  deadlineMs?: number;
}

/** One minute: a hook's own timeout may be that long, and a pass waits for its slowest Canary. */
export const DEFAULT_ANALYSIS_DEADLINE_MS = 60_000;

export interface RunAnalysisInput extends AnalysisConfig {
  /** These four are a ResolvedCanary's fields. */
  canary: CanarySpec;
  target: ServiceManifest;
  checks: CanaryChecks;
  templates: Readonly<Record<string, MetricTemplate>>;
  needs: AnalysisNeeds;
  /** The canary's phase now (sent to webhooks as Flagger does, see payloadPhase). */
  phase: Phase;
  /** The revision under analysis; the payload's `checksum`. */
  revision: string;
}

type Gate = 'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion';
const GATES: readonly WebhookType[] = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'];
// Notifications are fired by the caller after the outcome is committed (notifyWebhooks), not collected here.
const NOTIFICATIONS: readonly WebhookType[] = ['post-rollout', 'event'];

export async function runAnalysis(input: RunAnalysisInput): Promise<AnalysisReport> {
  const deadline = startDeadline(input.deadlineMs ?? DEFAULT_ANALYSIS_DEADLINE_MS);
  try {
    const report = await collect(input, deadline.signal);
    // Reasons are recorded in git: whatever a peer answered is cut down to one short printable line.
    report.checks = report.checks.map((c) =>
      c.reason === undefined ? c : { ...c, reason: statusLine(c.reason) },
    );
    return report;
  } finally {
    deadline.clear();
  }
}

/** An AbortSignal that fires after `ms`, with a reason a check can record. */
export function startDeadline(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const seconds = Number((ms / 1000).toFixed(3));
  const timer = setTimeout(
    () => controller.abort(new Error(`stopped at the Canary's analysis deadline (${seconds} s)`)),
    Math.min(ms, 2 ** 31 - 1),
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

async function collect(input: RunAnalysisInput, signal: AbortSignal): Promise<AnalysisReport> {
  const { canary, checks, needs, phase, revision } = input;
  const hookOptions: WebhookCallOptions = {
    ...(input.transport ? { transport: input.transport } : {}),
    ...(input.retryDelayMs !== undefined ? { retryDelayMs: input.retryDelayMs } : {}),
    policy: input.addressPolicy,
    signal,
  };
  const callType = (type: WebhookType) =>
    callWebhooksOfType(checks.webhooks, type, webhookPayload(canary, type, phase, revision), hookOptions);

  const report: AnalysisReport = { checks: [], gates: {} };
  const types = [...new Set(needs.webhooks)].filter((type) => !NOTIFICATIONS.includes(type));
  if (types.includes('confirm-rollout')) {
    const open = gateOpen(await callType('confirm-rollout'));
    if (open !== undefined) report.gates['confirm-rollout'] = open;
    if (open === false) return report;
  }

  const rest = types.filter((type) => type !== 'confirm-rollout');
  const [outcomes, metrics] = await Promise.all([
    Promise.all(rest.map(async (type) => [type, await callType(type)] as const)),
    needs.metrics ? Promise.all(checks.metrics.map((metric) => checkMetric(metric, input, signal))) : [],
  ]);
  for (const [type, results] of outcomes) {
    if (GATES.includes(type)) {
      const open = gateOpen(results);
      if (open !== undefined) report.gates[type as Gate] = open;
    } else if (type === 'rollback') {
      if (results.some((r) => r.passed)) report.rollbackRequested = true;
    } else {
      report.checks.push(...results.map(webhookCheck));
    }
  }
  report.checks.push(...metrics);
  return report;
}

/** Open when every hook of the type answered yes; undefined when the Canary has none. */
function gateOpen(outcomes: readonly WebhookOutcome[]): boolean | undefined {
  return outcomes.length === 0 ? undefined : outcomes.every((o) => o.passed);
}

function webhookCheck(outcome: WebhookOutcome): CheckResult {
  return {
    name: `webhook:${outcome.name}`,
    passed: outcome.passed,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  };
}

async function checkMetric(
  metric: MetricCheck,
  input: RunAnalysisInput,
  signal: AbortSignal,
): Promise<CheckResult> {
  return evaluateMetric(metric.name, await measure(metric, input, signal), metric.thresholdRange);
}

async function measure(
  metric: MetricCheck,
  input: RunAnalysisInput,
  signal: AbortSignal,
): Promise<Measurement> {
  const { source } = metric;
  // `--metrics-server` is the operator's and is called as given; a MetricTemplate's address is the
  // repository's and goes through the policy.
  const options: QueryOptions = {
    timeoutMs: input.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    ...(input.transport ? { transport: input.transport } : {}),
    signal,
  };
  // The Canary's own spec.metricsServer wins over --metrics-server, as in Flagger.
  const address = input.canary.metricsServer ?? input.metricsServer;
  const defaultServer = (): PrometheusTarget | Measurement =>
    address
      ? { address }
      : {
          kind: 'error',
          message: 'no metrics server is configured (spec.metricsServer or --metrics-server)',
        };

  if (source.kind === 'builtin') {
    const server = defaultServer();
    if ('kind' in server) return server;
    const selector = canarySelector(input.target);
    if (!selector) return { kind: 'error', message: 'the target Service has no selector' };
    const query = builtinQuery(source.builtin, {
      namespace: input.canary.namespace,
      interval: metric.interval,
      selector,
    });
    const measured = await queryPrometheus(server, query, options);
    return measured.kind === 'value'
      ? { kind: 'value', value: builtinValue(source.builtin, measured.value) }
      : measured;
  }

  if (source.kind === 'query') {
    const server = defaultServer();
    if ('kind' in server) return server;
    return render(source.query, metric, input, (query) => queryPrometheus(server, query, options));
  }

  const template = input.templates[metric.name];
  if (!template) {
    const { namespace, name } = source.templateRef;
    return { kind: 'error', message: `MetricTemplate ${namespace}/${name} was not resolved` };
  }
  const { provider } = template;
  let auth: PrometheusTarget['auth'];
  if (provider.secretRef) {
    const credentials = await readMetricCredentials(
      input.credentialsDir,
      template.namespace,
      provider.secretRef.name,
    );
    if (!credentials.ok) return { kind: 'error', message: credentials.reason };
    auth = credentials.auth;
  }
  const target: PrometheusTarget = {
    address: provider.address,
    headers: provider.headers,
    insecureSkipVerify: provider.insecureSkipVerify,
    ...(auth ? { auth } : {}),
  };
  return render(template.query, metric, input, (query) =>
    queryPrometheus(target, query, { ...options, policy: input.addressPolicy }),
  );
}

async function render(
  template: QueryTemplate,
  metric: MetricCheck,
  input: RunAnalysisInput,
  run: (query: string) => Promise<Measurement>,
): Promise<Measurement> {
  const rendered = renderQuery(template, queryModel(input.canary, metric));
  return rendered.ok ? run(rendered.query) : { kind: 'error', message: rendered.message };
}
