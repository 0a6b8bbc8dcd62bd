// One message to send about one committed transition (an alert to a chat, a commit status to a forge),
// and how it is sent: in the background, a few times with backoff, never failing the step it tells of.
import type { Logger } from 'pino';
import type { HttpResponse } from '../analysis/http-transport.js';

export type DeliveryKind = 'alert' | 'commit-status';

export interface Delivery {
  kind: DeliveryKind;
  /** Names the receiver without any secret: `slack demo/team-chat`, `github`. */
  target: string;
  canary: string;
  commit: string;
  send(): Promise<void>;
}

/** A send that failed; `retryable` is false when the receiver refused the request itself (a 4xx). */
export class DeliveryError extends Error {
  readonly code = 'DeliveryFailed';
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 2xx passes; 408, 429 and 5xx are worth another try; any other answer will not change by retrying. */
export function checkAnswer(response: HttpResponse): void {
  const { status } = response;
  if (status >= 200 && status < 300) return;
  const retryable = status === 408 || status === 429 || status >= 500;
  throw new DeliveryError(`answered HTTP ${status}`, retryable);
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the second try; doubled before each next one. */
  initialDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 4, initialDelayMs: 2_000 };

type DeliveryResult = 'sent' | 'failed';

/** Sends with retries; resolves with the outcome, never rejects. Logs name the receiver, never its address. */
export async function deliver(
  delivery: Delivery,
  policy: RetryPolicy,
  logger: Logger,
  onRetry: () => void = () => undefined,
): Promise<DeliveryResult> {
  const about = {
    kind: delivery.kind,
    target: delivery.target,
    canary: delivery.canary,
    commit: delivery.commit,
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      await delivery.send();
      logger.info(about, 'notification sent');
      return 'sent';
    } catch (err) {
      const retryable = err instanceof DeliveryError ? err.retryable : true;
      // Only our own message: an error from a transport may quote the URL, which can hold a token.
      const reason =
        err instanceof DeliveryError || isTransportError(err) ? (err as Error).message : 'failed';
      if (!retryable || attempt >= policy.attempts) {
        logger.warn({ ...about, attempts: attempt, reason }, 'notification failed');
        return 'failed';
      }
      const delayMs = policy.initialDelayMs * 2 ** (attempt - 1);
      logger.debug({ ...about, attempt, delayMs, reason }, 'notification failed, retrying');
      onRetry();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function isTransportError(err: unknown): boolean {
  return err instanceof Error && err.name === 'HttpTransportError';
}
