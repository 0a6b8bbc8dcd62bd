// The Istio router: a VirtualService named after the apex whose weighted HTTP route splits traffic between
// `<target>-primary` and `<target>-canary`, and a DestinationRule for each (carrying service.trafficPolicy).
// It renders what Flagger's Istio router renders for the same Canary: hosts with the apex name added,
// gateways defaulting to the mesh, the route's matches, rewrite, timeout, retries, CORS policy and headers on
// every HTTP route, A/B matches, mirroring, session-affinity cookies and delegation. Istio's CRDs default
// nothing, so what is rendered is what the API server stores.
import type { CanarySpec, HeaderOperations, KubeObject, RequestMatch, StringMatch } from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';
import { canaryServiceName, generatedLabels, primaryName } from '../generated-objects.js';
import { metadataOf } from '../generated-metadata.js';
import { setCookie } from './gatewayapi.js';
import { checkStringMatch, cookieRegex, mergeMatches, withHeader } from './istio-match.js';
import type { RouteInput, RouteReadiness, RouteRef, Router } from './router.js';
import { servicePort } from './service-port.js';

type Json = Record<string, unknown>;

/** The version Flagger's Istio router writes; every Istio release since 1.5 serves it. */
const ISTIO_API_VERSION = 'networking.istio.io/v1beta1';
/** Istio's name for the sidecars of the mesh, as a gateway. */
const MESH = 'mesh';
/** Istio wants match header names in lower case. */
const COOKIE = 'cookie';

export const istioRouter: Router = {
  name: 'istio',
  shiftsTraffic: true,
  check,
  routes: (input) => [
    destinationRule(input.canary, primaryName(input.canary)),
    destinationRule(input.canary, canaryServiceName(input.canary)),
    virtualService(input),
  ],
  routeRefs: (canary) => [
    ref(canary, 'DestinationRule', primaryName(canary)),
    ref(canary, 'DestinationRule', canaryServiceName(canary)),
    ref(canary, 'VirtualService', canary.service.apexName),
  ],
  readiness,
  owns: (object) =>
    (object.kind === 'VirtualService' || object.kind === 'DestinationRule') &&
    object.apiVersion.startsWith('networking.istio.io/'),
  toPrimary,
};

/**
 * Every HTTP route of the VirtualService to the primary: weight 100 for it, 0 for the canary (the sticky
 * routes of session affinity too), and no mirror to the canary. The DestinationRules route nothing.
 */
function toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject {
  if (route.kind !== 'VirtualService') return route;
  const spec = structuredClone(route.spec ?? {}) as { http?: Json[] };
  for (const http of spec.http ?? []) {
    for (const destination of (http.route ?? []) as Json[]) {
      const host = (destination.destination as { host?: string } | undefined)?.host;
      if (host === services.primary) destination.weight = 100;
      if (host === services.canary) destination.weight = 0;
    }
    if ((http.mirror as { host?: string } | undefined)?.host === services.canary) {
      delete http.mirror;
      delete http.mirrorPercentage;
    }
  }
  return { ...route, spec };
}

function ref(canary: CanarySpec, kind: string, name: string): RouteRef {
  return { apiVersion: ISTIO_API_VERSION, kind, namespace: canary.namespace, name };
}

function check(canary: CanarySpec, analysisField: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { service } = canary;
  if (service.delegation && (service.hosts.length > 0 || (service.gateways?.length ?? 0) > 0)) {
    // Flagger refuses the same at every reconcile; here the file is refused once, with its line.
    issues.push({
      field: 'spec.service.delegation',
      message:
        'a delegate VirtualService has no hosts and no gateways: remove spec.service.hosts and spec.service.gateways, or delegation',
    });
  }
  service.match.forEach((m, i) => checkMatch(m, `spec.service.match[${i}]`, issues));
  canary.analysis.match.forEach((m, i) => checkMatch(m, `${analysisField}.match[${i}]`, issues));
  return issues;
}

function checkMatch(match: RequestMatch, at: string, issues: FieldIssue[]): void {
  const istio = (value: StringMatch, field: string) =>
    checkStringMatch(value, field, ['exact', 'prefix', 'regex'], 'Istio cannot match by suffix', issues);
  const each = (map: Record<string, StringMatch> | undefined, field: string) => {
    for (const [name, value] of Object.entries(map ?? {})) istio(value, `${at}.${field}.${name}`);
  };
  if (match.uri) istio(match.uri, `${at}.uri`);
  if (match.method) istio(match.method, `${at}.method`);
  if (match.istio?.authority) istio(match.istio.authority, `${at}.authority`);
  if (match.istio?.scheme) istio(match.istio.scheme, `${at}.scheme`);
  each(match.headers, 'headers');
  each(match.queryParams, 'queryParams');
  each(match.istio?.withoutHeaders, 'withoutHeaders');
}

function destinationRule(canary: CanarySpec, host: string): KubeObject {
  const { trafficPolicy } = canary.service;
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: metadataOf(canary, host, generatedLabels(canary), { labels: {}, annotations: {} }),
    spec: { host, ...(trafficPolicy ? { trafficPolicy } : {}) },
  };
}

function virtualService({ canary, target, traffic }: RouteInput): KubeObject {
  const { service, analysis } = canary;
  const primary = primaryName(canary);
  const canaryName = canaryServiceName(canary);
  // Flagger names the port only when port discovery is on and a gateway (or a parent) routes to the Services.
  const gateway = service.gateways?.[0];
  const named =
    service.portDiscovery === true &&
    ((gateway !== undefined && gateway !== MESH) || service.delegation === true);
  const port = named ? { port: { number: servicePort(canary, target) } } : {};
  const destination = (host: string, weight: number, cookie?: { value: string; maxAge: number }): Json => ({
    destination: { host, ...port },
    weight,
    ...(cookie
      ? { headers: { response: { add: { 'Set-Cookie': setCookie(cookie.value, cookie.maxAge, canary) } } } }
      : {}),
  });
  const common = routeSettings(canary);
  const rule = (matches: readonly RequestMatch[], route: Json[], more: Json = {}): Json => ({
    ...(matches.length > 0 ? { match: matches.map(toIstioMatch) } : {}),
    ...common,
    ...more,
    route,
  });

  const cookies = traffic.cookies;
  const weighted = [
    destination(
      primary,
      100 - traffic.weight,
      cookies?.primary ? { value: cookies.primary, maxAge: analysis.intervalSeconds } : undefined,
    ),
    destination(
      canaryName,
      traffic.weight,
      cookies?.canary ? { value: cookies.canary, maxAge: analysis.sessionAffinity?.maxAge ?? 0 } : undefined,
    ),
  ];
  const sticky = (cookie: string) => withHeader(service.match, COOKIE, { regex: cookieRegex(cookie) });
  const rules: Json[] = [];
  // Istio takes the first HTTP route that matches: the sticky visitors first, then the weighted split.
  if (cookies?.canary)
    rules.push(rule(sticky(cookies.canary), [destination(primary, 0), destination(canaryName, 100)]));
  if (cookies?.primary)
    rules.push(rule(sticky(cookies.primary), [destination(primary, 100), destination(canaryName, 0)]));
  if (cookies?.expired) {
    const headers = withResponseHeader(service.headers, 'Set-Cookie', `${cookies.expired}; Max-Age=-1`);
    rules.push(rule(sticky(cookies.expired), weighted, { headers }));
  }
  const abMatches = analysis.match.length > 0 ? mergeMatches(analysis.match, service.match) : undefined;
  const mirror = traffic.mirrored
    ? {
        mirror: { host: canaryName },
        ...(analysis.mirrorWeight ? { mirrorPercentage: { value: analysis.mirrorWeight } } : {}),
      }
    : {};
  rules.push(rule(abMatches ?? service.match, weighted, mirror));
  // A/B: the requests the analysis does not match stay on the primary.
  if (abMatches) rules.push(rule(service.match, [destination(primary, 100)]));

  const delegate = service.delegation === true;
  const hosts = service.hosts.some((h) => h === service.apexName || h === '*')
    ? [...service.hosts]
    : [...service.hosts, service.apexName];
  const gateways = service.gateways?.length ? [...service.gateways] : [MESH];
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: metadataOf(canary, service.apexName, generatedLabels(canary), service.apex),
    // A delegate VirtualService is attached by its parent, so it names no hosts and no gateways.
    spec: { ...(delegate ? {} : { hosts, gateways }), http: rules },
  };
}

/** What every HTTP route carries, as Flagger writes it: rewrite, timeout, retries, CORS policy, headers. */
function routeSettings(canary: CanarySpec): Json {
  const { rewrite, timeout, retries, corsPolicy, headers } = canary.service;
  const istioRewrite = {
    ...(rewrite?.uri ? { uri: rewrite.uri } : {}),
    ...(rewrite?.authority ? { authority: rewrite.authority } : {}),
  };
  return {
    ...(Object.keys(istioRewrite).length > 0 ? { rewrite: istioRewrite } : {}),
    ...(timeout ? { timeout } : {}),
    ...(retries ? { retries: { ...retries } } : {}),
    ...(corsPolicy ? { corsPolicy } : {}),
    ...(headers && (headers.request || headers.response) ? { headers: istioHeaders(headers) } : {}),
  };
}

function istioHeaders(headers: { request?: HeaderOperations; response?: HeaderOperations }): Json {
  const operations = (op: HeaderOperations | undefined) =>
    op
      ? {
          ...(op.add && Object.keys(op.add).length > 0 ? { add: { ...op.add } } : {}),
          ...(op.set && Object.keys(op.set).length > 0 ? { set: { ...op.set } } : {}),
          ...(op.remove?.length ? { remove: [...op.remove] } : {}),
        }
      : undefined;
  const request = operations(headers.request);
  const response = operations(headers.response);
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

/** service.headers with one more response header added (the cookie that expires a finished run's). */
function withResponseHeader(
  headers: { request?: HeaderOperations; response?: HeaderOperations } | undefined,
  name: string,
  value: string,
): Json {
  const response = headers?.response ?? {};
  return istioHeaders({
    ...headers,
    response: { ...response, add: { ...response.add, [name]: value } },
  });
}

function toIstioMatch(match: RequestMatch): Json {
  const string = (m: StringMatch | undefined) =>
    m
      ? {
          ...(m.exact !== undefined ? { exact: m.exact } : {}),
          ...(m.prefix !== undefined ? { prefix: m.prefix } : {}),
          ...(m.regex !== undefined ? { regex: m.regex } : {}),
        }
      : undefined;
  const map = (m: Record<string, StringMatch> | undefined) =>
    m && Object.keys(m).length > 0
      ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, string(v)]))
      : undefined;
  const istio = match.istio ?? {};
  const fields: Json = {
    name: istio.name,
    uri: string(match.uri),
    scheme: string(istio.scheme),
    method: string(match.method),
    authority: string(istio.authority),
    headers: map(match.headers),
    port: istio.port,
    sourceLabels:
      istio.sourceLabels && Object.keys(istio.sourceLabels).length > 0 ? istio.sourceLabels : undefined,
    gateways: istio.gateways?.length ? istio.gateways : undefined,
    queryParams: map(match.queryParams),
    ignoreUriCase: istio.ignoreUriCase || undefined,
    withoutHeaders: map(istio.withoutHeaders),
    sourceNamespace: istio.sourceNamespace || undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * Istio writes status only when its status feature is on: a `Reconciled` condition (the config reached the
 * proxies) and the analyzers' validationMessages. With none, the step counts, as in Flagger, which reads no
 * status; a generation Istio has not distributed yet holds it, and an analyzer error rejects it.
 */
function readiness(canary: CanarySpec, live: readonly (KubeObject | undefined)[]): RouteReadiness {
  const refs = istioRouter.routeRefs(canary);
  const missing = refs.findIndex((_, i) => live[i] === undefined);
  if (missing >= 0) {
    const { kind, name } = refs[missing] as RouteRef;
    return { state: 'pending', reason: `${kind} ${name} is not in the cluster yet` };
  }
  const vs = live[refs.length - 1] as KubeObject;
  const name = `VirtualService ${canary.service.apexName}`;
  const generation = Number(vs.metadata.generation ?? 0);
  const status = (vs.status ?? {}) as Json;
  const conditions = (status.conditions ?? []) as Json[];
  const reconciled = conditions.find((c) => c.type === 'Reconciled');
  if (
    reconciled &&
    (Number(reconciled.observedGeneration ?? 0) < generation || reconciled.status !== 'True')
  ) {
    return { state: 'pending', reason: `Istio has not yet distributed generation ${generation} of ${name}` };
  }
  const analysed = Number(status.observedGeneration ?? generation);
  const errors = ((status.validationMessages ?? []) as Json[]).filter((m) => m.level === 'ERROR');
  if (errors.length > 0 && analysed >= generation) {
    const what = errors
      .map((m) => {
        const type = (m.type ?? {}) as Json;
        return [type.code, type.name].filter(Boolean).map(String).join(' ');
      })
      .join(', ');
    return { state: 'rejected', reason: `${name} has Istio analysis errors (${what})` };
  }
  return { state: 'ready' };
}
