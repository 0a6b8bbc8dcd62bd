// Matches as Flagger writes them (Istio's HTTPMatchRequest), for the routers that read them in Istio's terms:
// how an A/B match combines with the route's own matches, and which operators a router can express. The
// Istio and Contour routers share these, so an A/B Canary means the same requests with either.
import type { RequestMatch, StringMatch } from '../model.js';
import type { FieldIssue } from '../manifests/field-issue.js';

/**
 * Each analysis match laid over each of the route's own (Flagger's mergeMatchConditions): a condition the
 * analysis entry sets replaces the route entry's, the others are kept. With no route matches, the analysis
 * matches stand alone. Flagger keeps only the analysis entry's headers and source labels; taking its query
 * parameters too is what keeps a query-parameter A/B test from sending every request to the canary.
 */
export function mergeMatches(
  analysis: readonly RequestMatch[],
  route: readonly RequestMatch[],
): RequestMatch[] {
  if (route.length === 0) return analysis.map((a) => ({ ...a }));
  return analysis.flatMap((a) =>
    route.map((r) => {
      const istio = { ...r.istio, ...a.istio };
      return {
        ...r,
        ...a,
        ...(Object.keys(istio).length > 0 ? { istio } : {}),
      };
    }),
  );
}

/** The route's matches with one more header condition (a session cookie), or that condition alone. */
export function withHeader(route: readonly RequestMatch[], name: string, value: StringMatch): RequestMatch[] {
  if (route.length === 0) return [{ headers: { [name]: value } }];
  return route.map((r) => ({ ...r, headers: { ...r.headers, [name]: value } }));
}

/** `.*name.*value.*`: a Cookie header that carries `name=value` (as Flagger's sticky rules match it). */
export function cookieRegex(cookie: string): string {
  const at = cookie.indexOf('=');
  return `.*${escapeRegex(cookie.slice(0, at))}.*${escapeRegex(cookie.slice(at + 1))}.*`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

type Operator = keyof StringMatch;

/**
 * A string match must give exactly one operator, and one the router can express; `refusal` says why the
 * others cannot be (it ends the error message).
 */
export function checkStringMatch(
  value: StringMatch,
  field: string,
  allowed: readonly Operator[],
  refusal: string,
  issues: FieldIssue[],
): void {
  const given = (Object.keys(value) as Operator[]).filter((key) => value[key] !== undefined);
  if (given.length !== 1) {
    issues.push({ field, message: `give exactly one of ${allowed.join(', ')}` });
    return;
  }
  const [operator] = given;
  if (operator && !allowed.includes(operator)) {
    issues.push({ field: `${field}.${operator}`, message: `${refusal}; use ${allowed.join(' or ')}` });
  }
}
