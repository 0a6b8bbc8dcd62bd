// The Gateway API router: one HTTPRoute named after the apex, attached to the Canary's gatewayRefs (Gateways,
// or a Service for GAMMA mesh routing), whose weighted rule splits traffic between `<target>-primary` and
// `<target>-canary`. It renders what Flagger's router renders for the same Canary (A/B matches, session
// affinity cookies, mirroring, header and rewrite filters, timeouts), with every field the API server would
// default inside an atomic list spelled out, so that another manager applying the same file owns the same
// fields and nothing conflicts.
import type {
  CanarySpec,
  GatewayRef,
  HeaderOperations,
  KubeObject,
  RequestMatch,
  StringMatch,
} from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';
import { canaryServiceName, generatedLabels, primaryName } from '../generated-objects.js';
import { metadataOf } from '../generated-metadata.js';
import type { RouteInput, RouteReadiness, RouteRef, Router, SessionCookies } from './router.js';
import { servicePort } from './service-port.js';

type Json = Record<string, unknown>;

const GROUP = 'gateway.networking.k8s.io';

export const gatewayApiRouter: Router = {
  name: 'gatewayapi',
  shiftsTraffic: true,
  check,
  routes: (input) => [httpRoute(input)],
  routeRefs: (canary) => [routeRef(canary)],
  readiness,
  owns: (object) => object.kind === 'HTTPRoute' && object.apiVersion.startsWith(`${GROUP}/`),
  toPrimary,
};

/** Every weighted backend of every rule to the primary: weight 100 for it, 0 for the canary, no mirror. */
function toPrimary(route: KubeObject, services: { primary: string; canary: string }): KubeObject {
  const spec = structuredClone(route.spec ?? {}) as { rules?: Json[] };
  for (const rule of spec.rules ?? []) {
    for (const ref of (rule.backendRefs ?? []) as Json[]) {
      if (ref.name === services.primary) ref.weight = 100;
      if (ref.name === services.canary) ref.weight = 0;
    }
    if (Array.isArray(rule.filters)) {
      const kept = (rule.filters as Json[]).filter(
        (f) =>
          !(
            f.type === 'RequestMirror' &&
            (f.requestMirror as { backendRef?: Json } | undefined)?.backendRef?.name === services.canary
          ),
      );
      if (kept.length > 0) rule.filters = kept;
      else delete rule.filters;
    }
  }
  return { ...route, spec };
}

function routeRef(canary: CanarySpec): RouteRef {
  return {
    apiVersion: `${GROUP}/${canary.providerVersion ?? 'v1'}`,
    kind: 'HTTPRoute',
    namespace: canary.namespace,
    name: canary.service.apexName,
  };
}

function check(canary: CanarySpec, analysisField: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (canary.service.gatewayRefs.length === 0) {
    issues.push({
      field: 'spec.service.gatewayRefs',
      message:
        'provider gatewayapi needs at least one parent (a Gateway, or a Service for GAMMA) to attach the HTTPRoute to',
    });
  }
  canary.service.match.forEach((match, i) => checkMatch(match, `spec.service.match[${i}]`, issues));
  const { rewrite, match } = canary.service;
  const onePrefix =
    match.length === 1 && match[0]?.uri?.prefix !== undefined && canary.analysis.match.length <= 1;
  if (rewrite?.type === 'ReplacePrefixMatch' && rewrite.uri && !onePrefix) {
    // The HTTPRoute schema's own rule: a prefix rewrite needs exactly one PathPrefix match in the rule.
    issues.push({
      field: 'spec.service.rewrite.type',
      message:
        'ReplacePrefixMatch needs exactly one service.match entry with a uri prefix (and at most one analysis.match entry); use ReplaceFullPath or one prefix match',
    });
  }
  canary.analysis.match.forEach((match, i) => checkMatch(match, `${analysisField}.match[${i}]`, issues));
  return issues;
}

/** Gateway API matches paths exactly, by prefix or by regex; headers and query parameters exactly or by regex. */
function checkMatch(match: RequestMatch, at: string, issues: FieldIssue[]): void {
  const one = (value: StringMatch, field: string, allowed: readonly (keyof StringMatch | 'suffix')[]) => {
    const given = Object.keys(value);
    if (given.length !== 1) {
      issues.push({ field, message: `give exactly one of ${allowed.join(', ')}` });
    } else if (!allowed.includes(given[0] as keyof StringMatch)) {
      issues.push({
        field: `${field}.${given[0]}`,
        message: `Gateway API routes cannot match this way; use ${allowed.join(' or ')}`,
      });
    }
  };
  if (match.uri) one(match.uri, `${at}.uri`, ['exact', 'prefix', 'regex']);
  if (match.method) one(match.method, `${at}.method`, ['exact']);
  for (const [name, value] of Object.entries(match.headers ?? {}))
    one(value, `${at}.headers.${name}`, ['exact', 'regex']);
  for (const [name, value] of Object.entries(match.queryParams ?? {}))
    one(value, `${at}.queryParams.${name}`, ['exact', 'regex']);
}

function httpRoute({ canary, target, traffic }: RouteInput): KubeObject {
  const port = servicePort(canary, target);
  const service = canary.service;
  const routeMatches = service.match.length > 0 ? service.match.map(toRouteMatch) : [defaultMatch()];
  const filters = ruleFilters(canary, port);
  const timeouts = ruleTimeouts(canary);
  const rule = (matches: Json[], backendRefs: Json[], extraFilters: Json[] = []): Json => {
    const all = withFilters(filters, extraFilters);
    return {
      matches,
      ...(all.length > 0 ? { filters: all } : {}),
      backendRefs,
      ...(timeouts ? { timeouts } : {}),
    };
  };
  const primary = primaryName(canary);
  const canaryName = canaryServiceName(canary);
  const weighted = (w: number, cookies?: SessionCookies) => [
    backend(
      primary,
      port,
      100 - w,
      cookies?.primary && cookieFilter(cookies.primary, canary.analysis.intervalSeconds, canary),
    ),
    backend(
      canaryName,
      port,
      w,
      cookies?.canary && cookieFilter(cookies.canary, canary.analysis.sessionAffinity?.maxAge ?? 0, canary),
    ),
  ];

  const mirror = traffic.mirrored ? [mirrorFilter(canaryName, port, canary.analysis.mirrorWeight)] : [];
  // A/B: the analysis matches (merged into the route's own) send their requests through the weighted rule;
  // the rest go to the primary alone.
  const abMatches =
    canary.analysis.match.length > 0
      ? mergeMatches(canary.analysis.match.map(toRouteMatch), routeMatches)
      : undefined;
  const rules: Json[] = [];
  const cookies = traffic.cookies;
  if (cookies?.canary)
    rules.push(
      rule(cookieMatches(cookies.canary, routeMatches), weightedFixed(primary, canaryName, port, 0)),
    );
  if (cookies?.primary)
    rules.push(
      rule(cookieMatches(cookies.primary, routeMatches), weightedFixed(primary, canaryName, port, 100)),
    );
  if (cookies?.expired) {
    rules.push(
      rule(cookieMatches(cookies.expired, routeMatches), weighted(traffic.weight), [
        expireCookieFilter(cookies.expired),
      ]),
    );
  }
  rules.push(rule(abMatches ?? routeMatches, weighted(traffic.weight, cookies), mirror));
  if (abMatches) rules.push(rule(routeMatches, [backend(primary, port, 100)]));

  return {
    apiVersion: `${GROUP}/${canary.providerVersion ?? 'v1'}`,
    kind: 'HTTPRoute',
    metadata: metadataOf(canary, canary.service.apexName, generatedLabels(canary), canary.service.apex),
    spec: {
      parentRefs: service.gatewayRefs.map(parentRef),
      ...(service.hosts.length > 0 ? { hostnames: [...service.hosts] } : {}),
      rules,
    },
  };
}

/**
 * A rule may carry each header modifier once: an extra ResponseHeaderModifier (the expiring cookie) joins the
 * one `service.headers.response` made, instead of standing beside it where the API server would refuse it.
 */
function withFilters(filters: Json[], extra: Json[]): Json[] {
  const merged = [...filters];
  for (const filter of extra) {
    const index = merged.findIndex((f) => f.type === filter.type && filter.type === 'ResponseHeaderModifier');
    const existing = merged[index];
    if (existing === undefined) {
      merged.push(filter);
      continue;
    }
    const mine = existing.responseHeaderModifier as Json;
    const theirs = filter.responseHeaderModifier as Json;
    merged[index] = {
      ...existing,
      responseHeaderModifier: {
        ...mine,
        add: [...((mine.add as Json[] | undefined) ?? []), ...(theirs.add as Json[])],
      },
    };
  }
  return merged;
}

/** The sticky rules send everything to one side: canary (primary weight 0) or primary (canary weight 0). */
function weightedFixed(primary: string, canary: string, port: number, primaryWeight: number): Json[] {
  return [backend(primary, port, primaryWeight), backend(canary, port, 100 - primaryWeight)];
}

function backend(name: string, port: number, weight: number, filter?: Json | ''): Json {
  return {
    group: '',
    kind: 'Service',
    name,
    port,
    weight,
    ...(filter ? { filters: [filter] } : {}),
  };
}

function parentRef(ref: GatewayRef): Json {
  return {
    group: ref.group ?? GROUP,
    kind: ref.kind ?? 'Gateway',
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    ...(ref.sectionName ? { sectionName: ref.sectionName } : {}),
    ...(ref.port ? { port: ref.port } : {}),
  };
}

function defaultMatch(): Json {
  return { path: { type: 'PathPrefix', value: '/' } };
}

function toRouteMatch(match: RequestMatch): Json {
  const valueMatch = (value: StringMatch) =>
    value.regex !== undefined
      ? { type: 'RegularExpression', value: value.regex }
      : { type: 'Exact', value: value.exact ?? '' };
  const path = match.uri
    ? match.uri.regex !== undefined
      ? { type: 'RegularExpression', value: match.uri.regex }
      : match.uri.exact !== undefined
        ? { type: 'Exact', value: match.uri.exact }
        : { type: 'PathPrefix', value: match.uri.prefix ?? '/' }
    : defaultMatch().path;
  const named = (entries: Record<string, StringMatch> | undefined) =>
    Object.entries(entries ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, ...valueMatch(value) }));
  const headers = named(match.headers);
  const queryParams = named(match.queryParams);
  return {
    path,
    ...(headers.length > 0 ? { headers } : {}),
    ...(queryParams.length > 0 ? { queryParams } : {}),
    ...(match.method?.exact ? { method: match.method.exact } : {}),
  };
}

/**
 * Each analysis match combined with each of the route's own: the analysis gives the headers and query
 * parameters, the route the path and method (Flagger's mergeMatchConditions).
 */
function mergeMatches(analysis: Json[], route: Json[]): Json[] {
  return analysis.flatMap((a) =>
    route.map((r) => ({
      ...r,
      ...(a.headers ? { headers: a.headers } : {}),
      ...(a.queryParams ? { queryParams: a.queryParams } : {}),
    })),
  );
}

/** Requests carrying `name=value` in their Cookie header, on each of the route's own matches. */
function cookieMatches(cookie: string, route: Json[]): Json[] {
  const [name, value] = splitCookie(cookie);
  return route.map((r) => ({
    ...r,
    headers: [
      { name: 'Cookie', type: 'RegularExpression', value: `.*${escapeRegex(name)}.*${escapeRegex(value)}.*` },
    ],
  }));
}

function cookieFilter(cookie: string, maxAge: number, canary: CanarySpec): Json {
  return {
    type: 'ResponseHeaderModifier',
    responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: setCookie(cookie, maxAge, canary) }] },
  };
}

function expireCookieFilter(cookie: string): Json {
  return {
    type: 'ResponseHeaderModifier',
    responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: `${cookie}; Max-Age=-1` }] },
  };
}

/** The Set-Cookie value: the cookie with the attributes of analysis.sessionAffinity. */
export function setCookie(cookie: string, maxAge: number, canary: CanarySpec): string {
  const affinity = canary.analysis.sessionAffinity;
  const attributes = [
    `Max-Age=${maxAge}`,
    affinity?.domain ? `Domain=${affinity.domain}` : '',
    affinity?.httpOnly ? 'HttpOnly' : '',
    affinity?.partitioned ? 'Partitioned' : '',
    affinity?.path ? `Path=${affinity.path}` : '',
    affinity?.sameSite ? `SameSite=${affinity.sameSite}` : '',
    affinity?.secure ? 'Secure' : '',
  ].filter(Boolean);
  return [cookie, ...attributes].join('; ');
}

function splitCookie(cookie: string): [string, string] {
  const at = cookie.indexOf('=');
  return [cookie.slice(0, at), cookie.slice(at + 1)];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

function mirrorFilter(name: string, port: number, percent: number | undefined): Json {
  return {
    type: 'RequestMirror',
    requestMirror: {
      backendRef: { group: '', kind: 'Service', name, port },
      ...(percent !== undefined ? { percent } : {}),
    },
  };
}

/** The filters every rule carries: header modifiers, the URL rewrite and the extra mirrors of `service`. */
function ruleFilters(canary: CanarySpec, port: number): Json[] {
  const { headers, rewrite, mirror } = canary.service;
  const filters: Json[] = [];
  if (headers?.request) {
    filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: headerFilter(headers.request) });
  }
  if (headers?.response) {
    filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: headerFilter(headers.response) });
  }
  if (rewrite) {
    const type = rewrite.type === 'ReplacePrefixMatch' ? 'ReplacePrefixMatch' : 'ReplaceFullPath';
    filters.push({
      type: 'URLRewrite',
      urlRewrite: {
        ...(rewrite.authority ? { hostname: rewrite.authority } : {}),
        ...(rewrite.uri
          ? {
              path:
                type === 'ReplacePrefixMatch'
                  ? { type, replacePrefixMatch: rewrite.uri }
                  : { type, replaceFullPath: rewrite.uri },
            }
          : {}),
      },
    });
  }
  for (const target of mirror) {
    const ref = target.backendRef;
    filters.push({
      type: 'RequestMirror',
      requestMirror: {
        backendRef: {
          group: ref.group ?? '',
          kind: ref.kind ?? 'Service',
          name: ref.name,
          ...(ref.namespace ? { namespace: ref.namespace } : {}),
          port: ref.port ?? port,
        },
        ...(target.percent !== undefined ? { percent: target.percent } : {}),
      },
    });
  }
  return filters;
}

function headerFilter(operations: HeaderOperations): Json {
  const pairs = (map: Record<string, string> | undefined) =>
    Object.entries(map ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value }));
  const add = pairs(operations.add);
  const set = pairs(operations.set);
  return {
    ...(add.length > 0 ? { add } : {}),
    ...(set.length > 0 ? { set } : {}),
    ...(operations.remove?.length ? { remove: [...operations.remove] } : {}),
  };
}

function ruleTimeouts(canary: CanarySpec): Json | undefined {
  const { timeout, backendTimeout } = canary.service;
  if (!timeout && !backendTimeout) return undefined;
  return {
    ...(timeout ? { request: timeout } : {}),
    ...(backendTimeout ? { backendRequest: backendTimeout } : {}),
  };
}

/**
 * A step counts once every parent that reported on the route accepted its current generation, as Flagger
 * waits (a parent with no status yet does not hold it: not every Gateway implementation writes status).
 */
function readiness(canary: CanarySpec, live: readonly (KubeObject | undefined)[]): RouteReadiness {
  const route = live[0];
  if (!route)
    return { state: 'pending', reason: `HTTPRoute ${canary.service.apexName} is not in the cluster yet` };
  const generation = Number(route.metadata.generation ?? 0);
  const parents = ((route.status as Json | undefined)?.parents ?? []) as Json[];
  for (const parent of parents) {
    const ref = (parent.parentRef ?? {}) as { kind?: string; namespace?: string; name?: string };
    const conditions = (parent.conditions ?? []) as Json[];
    const accepted = conditions.find((c) => c.type === 'Accepted');
    if (!accepted) continue;
    const name = `${ref.kind ?? 'Gateway'} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`;
    if (Number(accepted.observedGeneration ?? 0) < generation) {
      return {
        state: 'pending',
        reason: `${name} has not yet seen generation ${generation} of HTTPRoute ${canary.service.apexName}`,
      };
    }
    if (accepted.status !== 'True') {
      const why = [accepted.reason, accepted.message].filter(Boolean).map(String).join(': ');
      return {
        state: 'rejected',
        reason: `HTTPRoute ${canary.service.apexName} not accepted by ${name}${why ? ` (${why})` : ''}`,
      };
    }
  }
  return { state: 'ready' };
}
