import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifyWebhook } from '../../../src/daemon/webhook-signature.js';

const secret = Buffer.from('s3cret-webhook');
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hmac = (key: string, data: Buffer) => `sha256=${createHmac('sha256', key).update(data).digest('hex')}`;

describe('verifyWebhook', () => {
  it.each([
    ['GitHub', { 'x-hub-signature-256': hmac('s3cret-webhook', body), 'x-github-event': 'push' }, 'github'],
    ['GitLab', { 'x-gitlab-token': 's3cret-webhook', 'x-gitlab-event': 'Push Hook' }, 'gitlab'],
    ['generic', { 'x-gitcanary-signature': hmac('s3cret-webhook', body) }, 'generic'],
    [
      'GitHub, uppercase hex',
      { 'x-hub-signature-256': hmac('s3cret-webhook', body).toUpperCase().replace('SHA256', 'sha256') },
      'github',
    ],
  ])('accepts a correctly signed %s delivery', (_name, headers, source) => {
    expect(verifyWebhook(headers, body, secret)).toMatchObject({ ok: true, source });
  });

  it.each([
    ['no signature at all', {}],
    ['a GitHub signature made with another secret', { 'x-hub-signature-256': hmac('other', body) }],
    [
      'a GitHub signature of another body',
      { 'x-hub-signature-256': hmac('s3cret-webhook', Buffer.from('{}')) },
    ],
    ['a SHA-1 GitHub signature', { 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` }],
    ['a truncated signature', { 'x-gitcanary-signature': hmac('s3cret-webhook', body).slice(0, 40) }],
    ['a signature with trailing junk', { 'x-gitcanary-signature': `${hmac('s3cret-webhook', body)}00` }],
    ['a non-hex signature', { 'x-gitcanary-signature': `sha256=${'z'.repeat(64)}` }],
    ['a wrong GitLab token', { 'x-gitlab-token': 's3cret-webhooK' }],
    ['a GitLab token that is a prefix of the secret', { 'x-gitlab-token': 's3cret' }],
    ['an empty GitLab token', { 'x-gitlab-token': '' }],
    // A valid GitLab token does not rescue a bad GitHub signature: the first header present decides.
    [
      'a bad GitHub signature beside a good GitLab token',
      { 'x-hub-signature-256': hmac('other', body), 'x-gitlab-token': 's3cret-webhook' },
    ],
  ])('refuses %s', (_name, headers) => {
    expect(verifyWebhook(headers, body, secret)).toMatchObject({ ok: false });
  });

  it('signs bodies the way it verifies them', () => {
    const headers = { 'x-gitcanary-signature': signBody(body, secret) };

    expect(verifyWebhook(headers, body, secret)).toEqual({ ok: true, source: 'generic', event: undefined });
  });
});
