// Verifies a push webhook before it may trigger a poll: GitHub's HMAC (X-Hub-Signature-256), GitLab's
// shared token (X-Gitlab-Token) and our generic HMAC (X-Gitcanary-Signature). Pure: headers, body and
// secret in, a verdict out. Every comparison is constant-time, so timing tells an attacker nothing.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type WebhookSource = 'github' | 'gitlab' | 'generic';

export type WebhookVerdict =
  { ok: true; source: WebhookSource; event: string | undefined } | { ok: false; reason: string };

const sha256Prefix = 'sha256=';

export function verifyWebhook(headers: IncomingHttpHeaders, body: Buffer, secret: Buffer): WebhookVerdict {
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) {
    return hmacMatches(github, body, secret)
      ? { ok: true, source: 'github', event: header(headers, 'x-github-event') }
      : { ok: false, reason: 'X-Hub-Signature-256 does not match the body' };
  }
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) {
    return sameSecret(Buffer.from(gitlab, 'utf8'), secret)
      ? { ok: true, source: 'gitlab', event: header(headers, 'x-gitlab-event') }
      : { ok: false, reason: 'X-Gitlab-Token is not the secret' };
  }
  const generic = header(headers, 'x-gitcanary-signature');
  if (generic !== undefined) {
    return hmacMatches(generic, body, secret)
      ? { ok: true, source: 'generic', event: header(headers, 'x-gitcanary-event') }
      : { ok: false, reason: 'X-Gitcanary-Signature does not match the body' };
  }
  return {
    ok: false,
    reason: 'no signature: send X-Hub-Signature-256, X-Gitlab-Token or X-Gitcanary-Signature',
  };
}

/** `sha256=<hex>` of the body, as GitHub and the generic receiver send it. */
export function signBody(body: Buffer | string, secret: Buffer | string): string {
  return `${sha256Prefix}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function hmacMatches(signature: string, body: Buffer, secret: Buffer): boolean {
  const hex = signature.startsWith(sha256Prefix) ? signature.slice(sha256Prefix.length) : '';
  // Buffer.from(hex) would stop quietly at the first non-hex digit; a garbled value is simply wrong.
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
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
