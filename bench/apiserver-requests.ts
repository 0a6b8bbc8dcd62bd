// Counts the requests the API server itself served, from its own `apiserver_request_total` metric, so the
// benchmark does not have to trust gitcanary's counters: GETs, LISTs and WATCHes of Services and
// HTTPRoutes, and every write verb (an apply is counted as APPLY).
import { request } from 'node:https';
import type { ControlPlaneAccess } from '../harness/control-plane.js';

export type RequestCounts = Record<string, number>;

const watchedResources = new Set(['services', 'httproutes']);
export const readVerbs = ['GET', 'LIST', 'WATCH'] as const;
export const writeVerbs = ['APPLY', 'PATCH', 'POST', 'PUT', 'DELETE', 'DELETECOLLECTION'] as const;

export async function requestCounts(access: ControlPlaneAccess): Promise<RequestCounts> {
  const text = await getMetrics(access);
  const counts: RequestCounts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    if (!watchedResources.has(labels.resource ?? '') || labels.subresource) continue;
    const verb = labels.verb ?? '?';
    counts[verb] = (counts[verb] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

/** Requests served between two readings, by verb. */
export function countsBetween(before: RequestCounts, after: RequestCounts): RequestCounts {
  const verbs = new Set([...Object.keys(before), ...Object.keys(after)]);
  const diff: RequestCounts = {};
  for (const verb of verbs) {
    const n = (after[verb] ?? 0) - (before[verb] ?? 0);
    if (n !== 0) diff[verb] = n;
  }
  return diff;
}

export function sumOf(counts: RequestCounts, verbs: readonly string[]): number {
  return verbs.reduce((sum, verb) => sum + (counts[verb] ?? 0), 0);
}

function getMetrics(access: ControlPlaneAccess): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${access.server}/metrics`,
      { ca: access.caCert, headers: { authorization: `Bearer ${access.token}` }, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('GET /metrics timed out')));
    req.on('error', reject);
    req.end();
  });
}
