// Verifies a push webhook before it may trigger a poll: GitHub's HMAC (X-Hub-Signature-256), Gitea's
// (X-Gitea-Signature), GitLab's shared token (X-Gitlab-Token) and our generic HMAC over a timestamp and the
// body (X-Gitcanary-Signature, X-Gitcanary-Timestamp). What the headers decide is decided before a byte of
// the body is read; the body is then hashed as it streams in and never kept. Pure apart from the hashing:
// headers, secret and `now` in, a verdict and the delivery's identities out. Every comparison is
// constant-time, so timing tells an attacker nothing.
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type WebhookSource = 'github' | 'gitea' | 'gitlab' | 'generic';

interface VerifiedDelivery {
  source: WebhookSource;
  event: string | undefined;
  /**
   * What identifies this delivery: the forge's delivery id and the signed content's digest. A replay of a
   * captured delivery repeats at least one of them, whatever else it changes.
   */
  replayKeys: string[];
}

type WebhookVerdict = { ok: true; delivery: VerifiedDelivery } | { ok: false; reason: string };

/** The body, fed as it arrives; `finish` once it has all come. */
export interface BodyVerifier {
  update(chunk: Buffer): void;
  finish(): WebhookVerdict;
}

type HeaderVerdict = { ok: true; verifier: BodyVerifier } | { ok: false; reason: string };

/** How far the generic sender's timestamp may be from our clock, either way (seconds). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

const sha256Prefix = 'sha256=';
// A forge's ids are GUIDs; anything far longer is not one, and would only fill the replay memory.
const MAX_DELIVERY_ID_CHARS = 128;

/**
 * Decides from the headers what can be decided there: which scheme, a missing or malformed signature, a
 * wrong GitLab token, a generic timestamp outside the window. The first signature header present decides
 * (a good GitLab token does not rescue a bad GitHub signature).
 */
export function beginVerification(
  headers: IncomingHttpHeaders,
  secret: Buffer,
  nowMs: number,
): HeaderVerdict {
  const gitea = header(headers, 'x-gitea-signature');
  if (gitea !== undefined) {
    return hmacVerifier(gitea, '', secret, 'X-Gitea-Signature', {
      source: 'gitea',
      event: header(headers, 'x-gitea-event'),
      ids: deliveryIds(headers, 'gitea', ['x-gitea-delivery', 'x-github-delivery']),
    });
  }
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) {
    return hmacVerifier(github.replace(/^sha256=/iu, ''), '', secret, 'X-Hub-Signature-256', {
      source: 'github',
      event: header(headers, 'x-github-event'),
      ids: deliveryIds(headers, 'github', ['x-github-delivery']),
      prefixed: github,
    });
  }
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) {
    if (!sameSecret(Buffer.from(gitlab, 'utf8'), secret)) {
      return { ok: false, reason: 'X-Gitlab-Token is not the secret' };
    }
    // The token is not bound to the body, so the body's digest stands in for a signature.
    return bodyDigestVerifier({
      source: 'gitlab',
      event: header(headers, 'x-gitlab-event'),
      ids: deliveryIds(headers, 'gitlab', ['x-gitlab-event-uuid', 'idempotency-key']),
    });
  }
  const generic = header(headers, 'x-gitcanary-signature');
  if (generic !== undefined) {
    const timestamp = header(headers, 'x-gitcanary-timestamp');
    if (timestamp === undefined || !/^\d{1,12}$/u.test(timestamp)) {
      return {
        ok: false,
        reason: 'X-Gitcanary-Timestamp (unix seconds) is required with X-Gitcanary-Signature',
      };
    }
    if (Math.abs(Number(timestamp) - nowMs / 1000) > TIMESTAMP_TOLERANCE_SECONDS) {
      return {
        ok: false,
        reason: `X-Gitcanary-Timestamp is more than ${TIMESTAMP_TOLERANCE_SECONDS} s away from now`,
      };
    }
    return hmacVerifier(generic.replace(/^sha256=/iu, ''), `${timestamp}.`, secret, 'X-Gitcanary-Signature', {
      source: 'generic',
      event: header(headers, 'x-gitcanary-event'),
      ids: deliveryIds(headers, 'generic', ['x-gitcanary-delivery']),
      prefixed: generic,
    });
  }
  return {
    ok: false,
    reason:
      'no signature: send X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or X-Gitcanary-Signature',
  };
}

/** The whole verification at once, for a body already in memory (tests, tools). */
export function verifyWebhook(
  headers: IncomingHttpHeaders,
  body: Buffer,
  secret: Buffer,
  nowMs = Date.now(),
): WebhookVerdict {
  const begun = beginVerification(headers, secret, nowMs);
  if (!begun.ok) return begun;
  begun.verifier.update(body);
  return begun.verifier.finish();
}

/** `sha256=<hex>` of the body, as GitHub sends it. */
export function signBody(body: Buffer | string, secret: Buffer | string): string {
  return `${sha256Prefix}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The headers a generic sender sets: the timestamp and the HMAC of `<timestamp>.<body>`. */
export function signGeneric(
  body: Buffer | string,
  secret: Buffer | string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): { 'X-Gitcanary-Timestamp': string; 'X-Gitcanary-Signature': string } {
  const hmac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body);
  return {
    'X-Gitcanary-Timestamp': String(timestampSeconds),
    'X-Gitcanary-Signature': `${sha256Prefix}${hmac.digest('hex')}`,
  };
}

interface Identity {
  source: WebhookSource;
  event: string | undefined;
  ids: string[];
  /** The header as sent, for a message that says what was wrong with it. */
  prefixed?: string;
}

function hmacVerifier(
  hex: string,
  signedPrefix: string,
  secret: Buffer,
  name: string,
  identity: Identity,
): HeaderVerdict {
  // Buffer.from(hex) would stop quietly at the first non-hex digit; a garbled value is simply wrong.
  if (!/^[0-9a-f]{64}$/iu.test(hex) || (identity.prefixed && !identity.prefixed.startsWith(sha256Prefix))) {
    return { ok: false, reason: `${name} is not a sha256 HMAC` };
  }
  const hmac: Hmac = createHmac('sha256', secret).update(signedPrefix);
  return {
    ok: true,
    verifier: {
      update: (chunk) => void hmac.update(chunk),
      finish: () => {
        const expected = hmac.digest();
        if (!timingSafeEqual(Buffer.from(hex, 'hex'), expected)) {
          return { ok: false, reason: `${name} does not match the body` };
        }
        const { source, event, ids } = identity;
        return {
          ok: true,
          delivery: { source, event, replayKeys: [...ids, `signature:${expected.toString('hex')}`] },
        };
      },
    },
  };
}

function bodyDigestVerifier(identity: Identity): HeaderVerdict {
  const hash: Hash = createHash('sha256');
  return {
    ok: true,
    verifier: {
      update: (chunk) => void hash.update(chunk),
      finish: () => {
        const { source, event, ids } = identity;
        return { ok: true, delivery: { source, event, replayKeys: [...ids, `body:${hash.digest('hex')}`] } };
      },
    },
  };
}

function deliveryIds(headers: IncomingHttpHeaders, source: WebhookSource, names: string[]): string[] {
  return names
    .map((name) => header(headers, name))
    .filter((id): id is string => id !== undefined && id !== '' && id.length <= MAX_DELIVERY_ID_CHARS)
    .map((id) => `delivery:${source}:${id}`);
}

/** Compares digests, not the values, so that not even the secret's length leaks through timing. */
function sameSecret(given: Buffer, secret: Buffer): boolean {
  const digest = (value: Buffer) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
