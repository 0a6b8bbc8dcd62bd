// Calls a Canary's webhooks the way Flagger does: a JSON POST of the payload, each hook bounded by its
// timeout and retried `retries` times on a network error, 429 or 5xx. A hook is open / passed when it answers
// 200, 201 or 202 (Flagger treats every other status, other 2xx included, as a failure). Only the status is
// kept: an answer's body may hold anything the receiver knows, and reasons are committed to git.
import type { WebhookType } from '../core/analysis-report.js';
import type { WebhookSpec } from '../core/analysis/parse-checks.js';
import { withHookMetadata, type WebhookPayload } from '../core/analysis/webhook-payload.js';
import type { AddressPolicy } from './address-policy.js';
import { HttpTransportError, nodeHttpTransport, type HttpTransport } from './http-transport.js';

export interface WebhookOutcome {
  name: string;
  type: WebhookType;
  passed: boolean;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  /** Why it did not pass; never holds the URL, which often carries a token. */
  reason?: string;
}

export interface WebhookCallOptions {
  transport?: HttpTransport;
  /** First retry delay; doubles per retry up to 30 s (go-retryablehttp's defaults, as Flagger uses). */
  retryDelayMs?: number;
  /** Which addresses the hooks may reach (their URLs come from the repository). */
  policy: AddressPolicy;
  /** The Canary's deadline: no attempt and no retry after it. */
  signal?: AbortSignal;
}

const MAX_RETRY_DELAY_MS = 30_000;

async function callWebhook(
  hook: WebhookSpec,
  payload: WebhookPayload,
  options: WebhookCallOptions,
): Promise<WebhookOutcome> {
  const transport = options.transport ?? nodeHttpTransport;
  const body = JSON.stringify(withHookMetadata(payload, hook.metadata));
  const outcome = { name: hook.name, type: hook.type };
  let last: WebhookOutcome = { ...outcome, passed: false, reason: 'not called' };
  const { signal } = options;
  for (let attempt = 0; attempt <= hook.retries; attempt += 1) {
    if (attempt > 0 && !(await sleep(retryDelay(options.retryDelayMs ?? 1_000, attempt), signal))) break;
    try {
      const response = await transport({
        method: 'POST',
        url: hook.url,
        headers: { 'Content-Type': 'application/json' },
        body,
        timeoutMs: hook.timeoutSeconds * 1000,
        insecureSkipVerify: hook.disableTLS,
        policy: options.policy,
        readBody: false,
        ...(signal ? { signal } : {}),
      });
      if (response.status >= 200 && response.status <= 202) {
        return { ...outcome, passed: true, status: response.status };
      }
      last = { ...outcome, passed: false, status: response.status, reason: `HTTP ${response.status}` };
      if (!retryable(response.status)) return last;
    } catch (err) {
      if (!(err instanceof HttpTransportError)) throw err;
      const reason = err.code === 'HttpUnreachable' ? `unreachable (${err.message})` : err.message;
      last = { ...outcome, passed: false, reason };
      // A refused address stays refused, a request Node will not build stays unbuildable, and after the
      // deadline nothing more is sent.
      if (err.code === 'HttpRefused' || err.code === 'HttpInvalidRequest' || err.code === 'HttpAborted')
        return last;
    }
  }
  return last;
}

/** Calls every hook of `type` at once with the same payload (plus each hook's metadata). */
export async function callWebhooksOfType(
  webhooks: readonly WebhookSpec[],
  type: WebhookType,
  payload: WebhookPayload,
  options: WebhookCallOptions,
): Promise<WebhookOutcome[]> {
  return Promise.all(webhooks.filter((h) => h.type === type).map((h) => callWebhook(h, payload, options)));
}

/**
 * `post-rollout` and `event` hooks: notifications whose answer changes nothing. The caller logs the
 * outcomes; build the payload with webhookPayload or eventPayload.
 */
export async function notifyWebhooks(
  webhooks: readonly WebhookSpec[],
  type: 'post-rollout' | 'event',
  payload: WebhookPayload,
  options: WebhookCallOptions,
): Promise<WebhookOutcome[]> {
  return callWebhooksOfType(webhooks, type, payload, options);
}

// go-retryablehttp's default policy: retry on 429 and on 5xx except 501 Not Implemented.
function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

function retryDelay(base: number, attempt: number): number {
  return Math.min(base * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

/** Waits `ms`; false when the deadline came first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (waited: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(waited);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
