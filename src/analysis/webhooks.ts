// Calls a Canary's webhooks the way Flagger does: a JSON POST of the payload, each hook bounded by its
// timeout and retried `retries` times on a network error, 429 or 5xx. A hook is open / passed when it answers
// 200, 201 or 202 (Flagger treats every other status, other 2xx included, as a failure).
import type { WebhookType } from '../core/analysis-report.js';
import type { WebhookSpec } from '../core/analysis/parse-checks.js';
import { withHookMetadata, type WebhookPayload } from '../core/analysis/webhook-payload.js';
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
}

const MAX_RETRY_DELAY_MS = 30_000;
const REASON_BODY_CHARS = 200;

export async function callWebhook(
  hook: WebhookSpec,
  payload: WebhookPayload,
  options: WebhookCallOptions = {},
): Promise<WebhookOutcome> {
  const transport = options.transport ?? nodeHttpTransport;
  const body = JSON.stringify(withHookMetadata(payload, hook.metadata));
  const outcome = { name: hook.name, type: hook.type };
  let last: WebhookOutcome = { ...outcome, passed: false, reason: 'not called' };
  for (let attempt = 0; attempt <= hook.retries; attempt += 1) {
    if (attempt > 0) await sleep(retryDelay(options.retryDelayMs ?? 1_000, attempt));
    try {
      const response = await transport({
        method: 'POST',
        url: hook.url,
        headers: { 'Content-Type': 'application/json' },
        body,
        timeoutMs: hook.timeoutSeconds * 1000,
        insecureSkipVerify: hook.disableTLS,
      });
      if (response.status >= 200 && response.status <= 202) {
        return { ...outcome, passed: true, status: response.status };
      }
      last = { ...outcome, passed: false, status: response.status, reason: statusReason(response) };
      if (!retryable(response.status)) return last;
    } catch (err) {
      if (!(err instanceof HttpTransportError)) throw err;
      const reason = err.code === 'HttpUnreachable' ? `unreachable (${err.message})` : err.message;
      last = { ...outcome, passed: false, reason };
    }
  }
  return last;
}

/** Calls every hook of `type` at once with the same payload (plus each hook's metadata). */
export async function callWebhooksOfType(
  webhooks: readonly WebhookSpec[],
  type: WebhookType,
  payload: WebhookPayload,
  options: WebhookCallOptions = {},
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
  options: WebhookCallOptions = {},
): Promise<WebhookOutcome[]> {
  return callWebhooksOfType(webhooks, type, payload, options);
}

function statusReason(response: { status: number; body: string }): string {
  const text = response.body.replace(/\s+/gu, ' ').trim();
  const excerpt = text.length > REASON_BODY_CHARS ? `${text.slice(0, REASON_BODY_CHARS)}…` : text;
  return `HTTP ${response.status}${excerpt ? `: ${excerpt}` : ''}`;
}

// go-retryablehttp's default policy: retry on 429 and on 5xx except 501 Not Implemented.
function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

function retryDelay(base: number, attempt: number): number {
  return Math.min(base * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
