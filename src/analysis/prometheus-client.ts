// An instant query (`/api/v1/query`) against a Prometheus, answered as a Measurement: one number, no data, or
// an error that names the address. It never throws for what a provider can do wrong (be down, be slow,
// answer garbage); the check fails with the reason instead. Of an answer, only a Prometheus API error's own
// text is kept (cut to one short line): it is what tells the author of a query what to fix.
import type { Measurement } from '../core/analysis/evaluate-metric.js';
import { statusLine } from '../core/analysis/status-line.js';
import type { AddressPolicy } from './address-policy.js';
import {
  displayAddress,
  HttpTransportError,
  nodeHttpTransport,
  type HttpTransport,
} from './http-transport.js';

export type PrometheusAuth = { token: string } | { username: string; password: string };

export interface PrometheusTarget {
  address: string;
  auth?: PrometheusAuth;
  headers?: Record<string, string[]>;
  insecureSkipVerify?: boolean;
}

export interface QueryOptions {
  /** Flagger's is 5 s. */
  timeoutMs?: number;
  transport?: HttpTransport;
  /** For an address from the repository (a MetricTemplate's). */
  policy?: AddressPolicy;
  /** The Canary's analysis deadline. */
  signal?: AbortSignal;
}

/** Room for Prometheus's own diagnosis (a parse error and where), not for a page of anything else. */
const PROMETHEUS_ERROR_CHARS = 160;

export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

interface ApiResponse {
  status?: string;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: string; result?: unknown };
}

export async function queryPrometheus(
  target: PrometheusTarget,
  query: string,
  options: QueryOptions = {},
): Promise<Measurement> {
  const where = `Prometheus at ${displayAddress(target.address)}`;
  const error = (message: string): Measurement => ({ kind: 'error', message: `${where}: ${message}` });
  // Flagger collapses whitespace too: templates are written across lines for people, not for the URL.
  const params = new URLSearchParams({ query: query.replace(/\s+/gu, ' ').trim() });
  const url = `${target.address.replace(/\/+$/u, '')}/api/v1/query?${params.toString()}`;

  let status: number;
  let body: string;
  try {
    ({ status, body } = await (options.transport ?? nodeHttpTransport)({
      method: 'GET',
      url,
      headers: { ...target.headers, Accept: 'application/json', ...authorization(target.auth) },
      timeoutMs: options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      insecureSkipVerify: target.insecureSkipVerify ?? false,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  } catch (err) {
    if (!(err instanceof HttpTransportError)) throw err;
    return error(err.code === 'HttpUnreachable' ? `unreachable (${err.message})` : err.message);
  }

  const answer = parseJson(body);
  if (status >= 400 || answer?.status === 'error') return error(`HTTP ${status}${apiError(answer)}`);
  if (answer?.status !== 'success' || !answer.data)
    return error(`HTTP ${status}: not a Prometheus API answer`);
  return readResult(answer.data, error);
}

/**
 * A vector must hold one sample: Flagger takes the last of several (an arbitrary one), which can pass a
 * canary on the wrong series, so several are an error asking for an aggregation instead.
 */
function readResult(data: NonNullable<ApiResponse['data']>, error: (m: string) => Measurement): Measurement {
  const { resultType, result } = data;
  if (resultType === 'scalar') return sampleValue(result, error);
  if (resultType !== 'vector' || !Array.isArray(result)) {
    return error(`the query gives a ${resultType ?? 'malformed'} result; it must give one number`);
  }
  if (result.length === 0) return { kind: 'no-data' };
  if (result.length > 1) {
    return error(`the query gives ${result.length} series; aggregate it to one (e.g. sum(...))`);
  }
  return sampleValue((result[0] as { value?: unknown }).value, error);
}

/** `[timestamp, "1.5"]`; Prometheus spells the special values NaN, +Inf and -Inf. */
function sampleValue(sample: unknown, error: (m: string) => Measurement): Measurement {
  const text: unknown = Array.isArray(sample) ? sample[1] : undefined;
  if (typeof text !== 'string') return error('malformed sample in the answer');
  if (text === 'NaN') return { kind: 'value', value: Number.NaN };
  if (text === '+Inf' || text === '-Inf')
    return { kind: 'value', value: text === '+Inf' ? Infinity : -Infinity };
  const value = Number(text);
  return Number.isNaN(value) ? error(`malformed sample value "${text}"`) : { kind: 'value', value };
}

/**
 * `: <error>` when the answer is a Prometheus API error (`status: error` with an `errorType`), else nothing:
 * any other body (an HTML page, another service's JSON) is not repeated.
 */
function apiError(answer: ApiResponse | undefined): string {
  if (answer?.status !== 'error' || typeof answer.errorType !== 'string') return '';
  if (typeof answer.error !== 'string' || answer.error.trim() === '') return '';
  return `: ${statusLine(answer.error, PROMETHEUS_ERROR_CHARS)}`;
}

/** A bearer token wins over basic auth, as in Flagger. */
function authorization(auth: PrometheusAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if ('token' in auth) return { Authorization: `Bearer ${auth.token}` };
  const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return { Authorization: `Basic ${basic}` };
}

function parseJson(body: string): ApiResponse | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
