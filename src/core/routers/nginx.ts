// The nginx router: a `<ingress>-canary` Ingress made from the Canary's `ingressRef` Ingress, its paths
// sending to `<target>-canary` instead of `<target>-primary`, with ingress-nginx's canary annotations
// (`canary-weight`, or `canary-by-header` / `canary-by-cookie` for A/B), as Flagger's IngressRouter makes it.
// ingress-nginx adds the canary Ingress to the paths of the main one, so the person's Ingress keeps the
// host, paths and TLS, and sends the rest to the primary.
import type { CanarySpec, KubeObject, RequestMatch, StringMatch } from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';
import { canaryServiceName, primaryName } from '../generated-objects.js';
import {
  backendServiceName,
  canaryIngress,
  canaryIngressRef,
  checkIngressRef,
  ingressReadiness,
  referencedIngress,
  withBackendService,
} from './ingress-copy.js';
import type { RouteInput, Router } from './router.js';

/** ingress-nginx's annotation prefix (Flagger's -ingress-annotations-prefix default). */
const PREFIX = 'nginx.ingress.kubernetes.io';
/** Every canary annotation starts so: none is copied from the person's Ingress, all are the router's. */
const CANARY = `${PREFIX}/canary`;

export const nginxRouter: Router = {
  name: 'nginx',
  shiftsTraffic: true,
  check,
  routes: (input) => [ingress(input)],
  routeRefs: (canary) => [canaryIngressRef(canary)],
  readiness: ingressReadiness,
  ownedAnnotations: [CANARY],
  // Only a canary Ingress carries the canary annotation: the person's Ingress is never the router's.
  owns: (object) =>
    object.kind === 'Ingress' &&
    object.apiVersion.startsWith('networking.k8s.io/') &&
    object.metadata.annotations?.[CANARY] === 'true',
  toPrimary,
};

/** The canary Ingress takes nothing: `canary-weight: 0` and no header or cookie match, as at weight 0. */
function toPrimary(route: KubeObject): KubeObject {
  const annotations = Object.fromEntries(
    Object.entries(route.metadata.annotations ?? {}).filter(([key]) => !key.startsWith(`${CANARY}-by-`)),
  );
  annotations[`${CANARY}-weight`] = '0';
  return { ...route, metadata: { ...route.metadata, annotations } };
}

function ingress(input: RouteInput) {
  const { canary, traffic } = input;
  const primary = primaryName(canary);
  const canaryName = canaryServiceName(canary);
  return canaryIngress(
    canary,
    referencedIngress(input),
    (paths) =>
      paths.map((path) =>
        backendServiceName(path) === primary ? withBackendService(path, canaryName) : path,
      ),
    (key) => key.startsWith(CANARY),
    canaryAnnotations(canary, traffic.weight),
  );
}

/**
 * Flagger's annotations for a step: at weight 0 the canary Ingress takes nothing (`canary-weight: 0`); A/B
 * sends the matched requests (a header, a cookie) and keeps the weight at 0; otherwise the weight.
 */
function canaryAnnotations(canary: CanarySpec, weight: number): Record<string, string> {
  const annotations: Record<string, string> = {
    [CANARY]: 'true',
    [`${CANARY}-weight`]: String(canary.analysis.match.length > 0 ? 0 : weight),
  };
  if (weight === 0 || canary.analysis.match.length === 0) return annotations;
  for (const match of canary.analysis.match) {
    for (const [name, value] of Object.entries(match.headers ?? {})) {
      if (name.toLowerCase() === 'cookie') {
        annotations[`${CANARY}-by-cookie`] = value.exact ?? '';
      } else {
        annotations[`${CANARY}-by-header`] = name;
        if (value.exact !== undefined) annotations[`${CANARY}-by-header-value`] = value.exact;
        if (value.regex !== undefined) annotations[`${CANARY}-by-header-pattern`] = value.regex;
      }
    }
  }
  return annotations;
}

/**
 * ingress-nginx routes a request to the canary by one header (exact value or pattern) or by one cookie
 * (named by `headers.cookie.exact`; the request's cookie of that name set to `always`), either of them, never
 * both together, and by nothing else. Flagger keeps the last header and cookie it sees and drops the rest;
 * gitcanary refuses what the annotations cannot say.
 */
function check(canary: CanarySpec, analysisField: string): FieldIssue[] {
  const issues = checkIngressRef(canary, 'nginx');
  const headers = new Set<string>();
  let cookies = 0;
  canary.analysis.match.forEach((match, i) => {
    const at = `${analysisField}.match[${i}]`;
    issues.push(...unmatchable(match, at));
    const entries = Object.entries(match.headers ?? {});
    if (entries.length > 1) {
      issues.push({
        field: `${at}.headers`,
        message:
          'NGINX routes by one header or the cookie, never by both together: put each condition in its own match entry',
      });
    }
    for (const [name, value] of entries) {
      const isCookie = name.toLowerCase() === 'cookie';
      if (isCookie) cookies += 1;
      else headers.add(name.toLowerCase());
      issues.push(...checkValue(value, `${at}.headers.${name}`, isCookie));
    }
  });
  if (headers.size > 1) {
    issues.push({
      field: `${analysisField}.match`,
      message: `NGINX routes by one header only (canary-by-header), and these name ${[...headers].join(', ')}`,
    });
  }
  if (cookies > 1) {
    issues.push({
      field: `${analysisField}.match`,
      message: 'NGINX routes by one cookie only (canary-by-cookie), and several cookie matches are given',
    });
  }
  return issues;
}

function unmatchable(match: RequestMatch, at: string): FieldIssue[] {
  return (['uri', 'method', 'queryParams'] as const)
    .filter((key) => match[key] !== undefined)
    .map((key) => ({
      field: `${at}.${key}`,
      message: 'NGINX canary annotations match a header or a cookie only; this condition cannot be expressed',
    }));
}

function checkValue(value: StringMatch, field: string, isCookie: boolean): FieldIssue[] {
  const given = Object.keys(value);
  const allowed = isCookie ? ['exact'] : ['exact', 'regex'];
  if (given.length === 1 && allowed.includes(given[0] ?? '')) return [];
  const what = isCookie
    ? 'the cookie match takes exact: the name of the cookie (NGINX sends a request whose cookie of that name is "always")'
    : 'give exactly one of exact or regex (canary-by-header-value or canary-by-header-pattern)';
  return [{ field, message: what }];
}
