import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  beginVerification,
  signBody,
  signGeneric,
  TIMESTAMP_TOLERANCE_SECONDS,
  verifyWebhook,
} from '../../../src/daemon/webhook-signature.js';

const secret = Buffer.from('s3cret-webhook');
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hmac = (key: string, data: Buffer | string) => createHmac('sha256', key).update(data).digest('hex');
const now = 1_800_000_000_000;
const at = String(now / 1000);

describe('verifyWebhook', () => {
  it.each([
    [
      'GitHub',
      { 'x-hub-signature-256': `sha256=${hmac('s3cret-webhook', body)}`, 'x-github-event': 'push' },
      'github',
    ],
    ['Gitea', { 'x-gitea-signature': hmac('s3cret-webhook', body), 'x-gitea-event': 'push' }, 'gitea'],
    ['GitLab', { 'x-gitlab-token': 's3cret-webhook', 'x-gitlab-event': 'Push Hook' }, 'gitlab'],
    [
      'generic',
      {
        'x-gitcanary-timestamp': at,
        'x-gitcanary-signature': `sha256=${hmac('s3cret-webhook', `${at}.${body.toString()}`)}`,
      },
      'generic',
    ],
    [
      'GitHub, uppercase hex',
      { 'x-hub-signature-256': `sha256=${hmac('s3cret-webhook', body).toUpperCase()}` },
      'github',
    ],
  ])('accepts a correctly signed %s delivery', (_name, headers, source) => {
    expect(verifyWebhook(headers, body, secret, now)).toMatchObject({ ok: true, delivery: { source } });
  });

  const generic = (timestamp: string, data = `${timestamp}.${body.toString()}`) => ({
    'x-gitcanary-timestamp': timestamp,
    'x-gitcanary-signature': `sha256=${hmac('s3cret-webhook', data)}`,
  });

  it.each([
    ['no signature at all', {}],
    [
      'a GitHub signature made with another secret',
      { 'x-hub-signature-256': `sha256=${hmac('other', body)}` },
    ],
    [
      'a GitHub signature of another body',
      { 'x-hub-signature-256': `sha256=${hmac('s3cret-webhook', Buffer.from('{}'))}` },
    ],
    ['a SHA-1 GitHub signature', { 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` }],
    [
      'a truncated signature',
      { 'x-hub-signature-256': `sha256=${hmac('s3cret-webhook', body).slice(0, 40)}` },
    ],
    ['a signature with trailing junk', { 'x-gitea-signature': `${hmac('s3cret-webhook', body)}00` }],
    ['a non-hex signature', { 'x-gitea-signature': 'z'.repeat(64) }],
    ['a wrong GitLab token', { 'x-gitlab-token': 's3cret-webhooK' }],
    ['a GitLab token that is a prefix of the secret', { 'x-gitlab-token': 's3cret' }],
    ['an empty GitLab token', { 'x-gitlab-token': '' }],
    // A valid GitLab token does not rescue a bad GitHub signature: the first header present decides.
    [
      'a bad GitHub signature beside a good GitLab token',
      { 'x-hub-signature-256': `sha256=${hmac('other', body)}`, 'x-gitlab-token': 's3cret-webhook' },
    ],
    // The generic signature covers a timestamp, which must be there and recent.
    [
      'a generic signature of the body alone, without a timestamp',
      { 'x-gitcanary-signature': signBody(body, secret) },
    ],
    [
      'a generic signature whose timestamp was changed',
      { ...generic(at), 'x-gitcanary-timestamp': String(now / 1000 + 1) },
    ],
    ['a generic delivery from the past', generic(String(now / 1000 - TIMESTAMP_TOLERANCE_SECONDS - 1))],
    ['a generic delivery from the future', generic(String(now / 1000 + TIMESTAMP_TOLERANCE_SECONDS + 1))],
    ['a generic timestamp that is not a number', generic('yesterday')],
  ])('refuses %s', (_name, headers) => {
    expect(verifyWebhook(headers, body, secret, now)).toMatchObject({ ok: false });
  });

  it('decides from the headers alone when it can, before any of the body', () => {
    expect(beginVerification({}, secret, now)).toMatchObject({ ok: false, reason: /^no signature/u });
    expect(beginVerification({ 'x-gitlab-token': 'guess' }, secret, now)).toMatchObject({ ok: false });
    expect(beginVerification(generic('1'), secret, now)).toMatchObject({ ok: false, reason: /300 s away/u });
    expect(beginVerification({ 'x-hub-signature-256': 'sha256=zz' }, secret, now)).toMatchObject({
      ok: false,
      reason: 'X-Hub-Signature-256 is not a sha256 HMAC',
    });
  });

  it('verifies a body fed in pieces as the whole', () => {
    const begun = beginVerification({ 'x-hub-signature-256': signBody(body, secret) }, secret, now);
    if (!begun.ok) throw new Error(begun.reason);

    for (let i = 0; i < body.length; i += 5) begun.verifier.update(body.subarray(i, i + 5));

    expect(begun.verifier.finish()).toMatchObject({ ok: true });
  });

  it("names a delivery by the forge's id and by what was signed, so that a replay repeats one of them", () => {
    const signature = hmac('s3cret-webhook', body);
    const headers = { 'x-hub-signature-256': `sha256=${signature}`, 'x-github-delivery': 'f6266f16-1bf3' };

    expect(verifyWebhook(headers, body, secret, now)).toEqual({
      ok: true,
      delivery: {
        source: 'github',
        event: undefined,
        replayKeys: ['delivery:github:f6266f16-1bf3', `signature:${signature}`],
      },
    });
  });

  it.each([
    [
      'GitLab',
      { 'x-gitlab-token': 's3cret-webhook', 'x-gitlab-event-uuid': 'u-1', 'idempotency-key': 'k-1' },
      ['delivery:gitlab:u-1', 'delivery:gitlab:k-1'],
    ],
    [
      'Gitea',
      { 'x-gitea-signature': hmac('s3cret-webhook', body), 'x-gitea-delivery': 'g-1' },
      ['delivery:gitea:g-1'],
    ],
    ['generic', { ...generic(at), 'x-gitcanary-delivery': 'c-1' }, ['delivery:generic:c-1']],
  ])("takes %s's delivery ids", (_name, headers, ids) => {
    const verdict = verifyWebhook(headers, body, secret, now);

    expect(verdict.ok && verdict.delivery.replayKeys.slice(0, -1)).toEqual(ids);
  });

  it('signs the way it verifies', () => {
    expect(verifyWebhook({ 'x-hub-signature-256': signBody(body, secret) }, body, secret, now)).toMatchObject(
      {
        ok: true,
        delivery: { source: 'github' },
      },
    );
    const headers = Object.fromEntries(
      Object.entries(signGeneric(body, secret, now / 1000)).map(([k, v]) => [k.toLowerCase(), v]),
    );
    expect(verifyWebhook(headers, body, secret, now)).toMatchObject({
      ok: true,
      delivery: { source: 'generic' },
    });
  });
});
