// The built-in metrics `request-success-rate` and `request-duration` as PromQL. Flagger answers both, for
// providers `kubernetes` and `gatewayapi` alike, from the application's own
// `http_request_duration_seconds` histogram scraped per pod (its HttpObserver), so these read the same series
// and labels and the same dashboards work. Flagger finds the canary's pods by a pod-name pattern derived from
// a Deployment; a Service target has no such Deployment, so the pods are found by the canary Service's
// selector instead, matched against the pod labels that Prometheus's pod discovery copies onto each series.
import type { ServiceManifest } from '../model.js';

const BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

export function isBuiltinMetric(name: string): name is BuiltinMetric {
  return (BUILTIN_METRICS as readonly string[]).includes(name);
}

interface BuiltinScope {
  namespace: string;
  /** Prometheus range, e.g. `1m`. */
  interval: string;
  /** The canary Service's selector (the target's current one). */
  selector: Readonly<Record<string, string>>;
}

/** The PromQL of a built-in; its value is a percentage (success rate) or seconds (duration, see below). */
export function builtinQuery(metric: BuiltinMetric, scope: BuiltinScope): string {
  const pods = [`kubernetes_namespace=${promString(scope.namespace)}`, ...selectorMatchers(scope.selector)];
  const rate = (series: string, extra: string[] = []) =>
    `rate(${series}{${[...pods, ...extra].join(',')}}[${scope.interval}])`;
  if (metric === 'request-success-rate') {
    const all = 'http_request_duration_seconds_count';
    return `sum(${rate(all, ['status!~"5.*"'])}) / sum(${rate(all)}) * 100`;
  }
  return `histogram_quantile(0.99, sum(${rate('http_request_duration_seconds_bucket')}) by (le))`;
}

/**
 * The query's value in the unit thresholds are written in: request-duration thresholds are milliseconds,
 * and Flagger truncates the measured duration to whole milliseconds before comparing.
 */
export function builtinValue(metric: BuiltinMetric, value: number): number {
  if (metric === 'request-success-rate' || !Number.isFinite(value)) return value;
  return Math.trunc(value * 1000);
}

/**
 * The selector that finds the canary's pods: the target's `spec.selector`. ExternalName and selector-less
 * Services have none, and then no built-in can tell the canary's traffic apart.
 */
export function canarySelector(target: ServiceManifest): Record<string, string> | undefined {
  const spec = target.object.spec as { selector?: unknown } | undefined;
  const selector = spec?.selector;
  if (typeof selector !== 'object' || selector === null) return undefined;
  const entries = Object.entries(selector).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * `app="podinfo-green"` for each selector label, its name sanitised the way Prometheus's Kubernetes
 * discovery names pod labels (`app.kubernetes.io/name` → `app_kubernetes_io_name`), sorted so the query
 * text does not depend on key order.
 */
export function selectorMatchers(selector: Readonly<Record<string, string>>): string[] {
  return Object.entries(selector)
    .map(([key, value]) => `${key.replace(/[^A-Za-z0-9_]/gu, '_')}=${promString(value)}`)
    .sort();
}

/** A PromQL string literal; its escapes are Go's, which JSON's are a subset of. */
function promString(value: string): string {
  return JSON.stringify(value);
}
