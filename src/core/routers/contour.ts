// The Contour router: one HTTPProxy named after the apex (no virtualhost: a root HTTPProxy includes it, as in
// Flagger's tutorial) whose routes send weighted traffic to `<target>-primary` and `<target>-canary`, as
// Flagger's Contour router writes them: a prefix condition, the service.timeout as the response timeout
// (idle 5m), service.retries as the retry policy, and the `l5d-dst-override` header on each service so that
// Linkerd behind Contour routes to the right one. A/B matches become a route of header and query-parameter
// conditions, the rest going to the primary. Where Flagger's route would be refused by Contour (two prefixes
// in one route, from several matches), each match gets a route of its own.
import type { CanarySpec, KubeObject, RequestMatch, StringMatch } from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';
import { canaryServiceName, generatedLabels, primaryName } from '../generated-objects.js';
import { metadataOf } from '../generated-metadata.js';
import { checkStringMatch, mergeMatches } from './istio-match.js';
import type { RouteInput, RouteReadiness, RouteRef, Router } from './router.js';
import { servicePort } from './service-port.js';

type Json = Record<string, unknown>;

const API_VERSION = 'projectcontour.io/v1';
/** Flagger's idle timeout beside a response timeout. */
const IDLE_TIMEOUT = '5m';
/** The conditions Contour retries on (its CRD's enum of retryOn). */
const CONTOUR_RETRY_ON = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export const contourRouter: Router = {
  name: 'contour',
  shiftsTraffic: true,
  check,
  routes: (input) => [httpProxy(input)],
  routeRefs: (canary) => [routeRef(canary)],
  readiness,
  owns: (object) => object.kind === 'HTTPProxy' && object.apiVersion.startsWith('projectcontour.io/'),
  toPrimary,
};

/** Every route's services to the primary: weight 100 for it, 0 for the canary. */
function toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject {
  const spec = structuredClone(route.spec ?? {}) as { routes?: Json[] };
  for (const each of spec.routes ?? []) {
    for (const service of (each.services ?? []) as Json[]) {
      if (service.name === services.primary) service.weight = 100;
      if (service.name === services.canary) service.weight = 0;
    }
  }
  return { ...route, spec };
}

function routeRef(canary: CanarySpec): RouteRef {
  return {
    apiVersion: API_VERSION,
    kind: 'HTTPProxy',
    namespace: canary.namespace,
    name: canary.service.apexName,
  };
}

function check(canary: CanarySpec, analysisField: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  canary.service.match.forEach((m, i) => checkMatch(m, `spec.service.match[${i}]`, issues));
  canary.analysis.match.forEach((m, i) => checkMatch(m, `${analysisField}.match[${i}]`, issues));
  const retryOn = canary.service.retries?.retryOn;
  const unknown = retryOnList(retryOn).filter((v) => !(CONTOUR_RETRY_ON as readonly string[]).includes(v));
  if (unknown.length > 0) {
    issues.push({
      field: 'spec.service.retries.retryOn',
      message: `Contour cannot retry on ${unknown.join(', ')}; it retries on ${CONTOUR_RETRY_ON.join(', ')}`,
    });
  }
  return issues;
}

function checkMatch(match: RequestMatch, at: string, issues: FieldIssue[]): void {
  if (match.uri) {
    checkStringMatch(
      match.uri,
      `${at}.uri`,
      ['prefix', 'exact', 'regex'],
      'Contour cannot match a path by suffix',
      issues,
    );
    const path = match.uri.prefix ?? match.uri.exact ?? match.uri.regex;
    if (path !== undefined && !path.startsWith('/')) {
      issues.push({
        field: `${at}.uri`,
        message: 'Contour path conditions (regex ones too) must start with /',
      });
    }
  }
  if (match.method) {
    issues.push({
      field: `${at}.method`,
      message: 'Contour has no method condition; use provider istio or gatewayapi to match by method',
    });
  }
  const all = ['exact', 'prefix', 'suffix', 'regex'] as const;
  for (const [name, value] of Object.entries(match.headers ?? {}))
    checkStringMatch(value, `${at}.headers.${name}`, all, 'unreachable', issues);
  for (const [name, value] of Object.entries(match.queryParams ?? {}))
    checkStringMatch(value, `${at}.queryParams.${name}`, all, 'unreachable', issues);
}

function httpProxy({ canary, target, traffic }: RouteInput): KubeObject {
  const port = servicePort(canary, target);
  const primary = primaryName(canary);
  const canaryName = canaryServiceName(canary);
  const { service, analysis } = canary;
  const policies = routePolicies(canary);
  const route = (match: RequestMatch, primaryWeight: number): Json => ({
    conditions: conditions(match),
    ...policies,
    services: [
      backend(canary, primary, port, primaryWeight),
      backend(canary, canaryName, port, 100 - primaryWeight),
    ],
  });
  const own = service.match.length > 0 ? service.match : [{}];
  const routes =
    analysis.match.length > 0
      ? [
          ...mergeMatches(analysis.match, service.match).map((m) => route(m, 100 - traffic.weight)),
          // The requests the analysis does not match stay on the primary.
          ...own.map((m) => route(m, 100)),
        ]
      : own.map((m) => route(m, 100 - traffic.weight));
  return {
    apiVersion: API_VERSION,
    kind: 'HTTPProxy',
    metadata: metadataOf(canary, service.apexName, generatedLabels(canary), service.apex),
    spec: { routes },
  };
}

function backend(canary: CanarySpec, name: string, port: number, weight: number): Json {
  return {
    name,
    port,
    weight,
    requestHeadersPolicy: {
      set: [{ name: 'l5d-dst-override', value: `${name}.${canary.namespace}.svc.cluster.local:${port}` }],
    },
  };
}

function routePolicies(canary: CanarySpec): Json {
  const { timeout, retries } = canary.service;
  const retryOn = retryOnList(retries?.retryOn);
  return {
    ...(timeout ? { timeoutPolicy: { response: timeout, idle: IDLE_TIMEOUT } } : {}),
    ...(retries
      ? {
          retryPolicy: {
            count: retries.attempts,
            ...(retries.perTryTimeout ? { perTryTimeout: retries.perTryTimeout } : {}),
            ...(retryOn.length > 0 ? { retryOn } : {}),
          },
        }
      : {}),
  };
}

function retryOnList(retryOn: string | undefined): string[] {
  return (retryOn ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * One route's conditions, all of which must hold: its path (a prefix of / when none) on the first, then one
 * per header and query parameter. A header prefix or suffix becomes `contains`, as Flagger writes it (Contour
 * has no prefix or suffix header condition).
 */
function conditions(match: RequestMatch): Json[] {
  const uri = match.uri;
  const path: Json =
    uri?.exact !== undefined
      ? { exact: uri.exact }
      : uri?.regex !== undefined
        ? { regex: uri.regex }
        : { prefix: uri?.prefix ?? '/' };
  const sorted = (map: Record<string, StringMatch> | undefined) =>
    Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const headers = sorted(match.headers).map(([name, m]) => ({ header: { name, ...headerCondition(m) } }));
  const queries = sorted(match.queryParams).map(([name, m]) => ({ queryParameter: { name, ...m } }));
  const [first, ...rest] = [...headers, ...queries];
  return first ? [{ ...path, ...first }, ...rest] : [path];
}

function headerCondition(m: StringMatch): Json {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.regex !== undefined) return { regex: m.regex };
  return { contains: m.prefix ?? m.suffix ?? '' };
}

/**
 * Contour says whether it took the HTTPProxy in `status.currentStatus`: `valid`, `invalid` (with why), or
 * `orphaned` (no root HTTPProxy includes it, so it carries no traffic). Until a Contour reports, the API
 * server's default says `NotReconciled`; like Flagger, which reads no status, that does not hold the step.
 */
function readiness(canary: CanarySpec, live: readonly (KubeObject | undefined)[]): RouteReadiness {
  const proxy = live[0];
  const name = `HTTPProxy ${canary.service.apexName}`;
  if (!proxy) return { state: 'pending', reason: `${name} is not in the cluster yet` };
  const status = (proxy.status ?? {}) as Json;
  const current = typeof status.currentStatus === 'string' ? status.currentStatus : undefined;
  if (current === undefined || current === 'NotReconciled') return { state: 'ready' };
  const generation = Number(proxy.metadata.generation ?? 0);
  const valid = ((status.conditions ?? []) as Json[]).find((c) => c.type === 'Valid');
  if (valid && Number(valid.observedGeneration ?? 0) < generation) {
    return { state: 'pending', reason: `Contour has not yet seen generation ${generation} of ${name}` };
  }
  if (current === 'valid') return { state: 'ready' };
  const errors = ((valid?.errors ?? []) as { message?: string; reason?: string }[])
    .map((e) => e.message ?? e.reason ?? '')
    .filter(Boolean);
  const description = typeof status.description === 'string' ? status.description : '';
  const why = [description, ...errors].filter(Boolean).join('; ');
  return { state: 'rejected', reason: `${name} is ${current}${why ? ` (${why})` : ''}` };
}
