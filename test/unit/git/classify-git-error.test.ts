import { describe, expect, it } from 'vitest';
import { Errors } from 'isomorphic-git';
import {
  classifyGitError,
  GitConfigError,
  GitTransientError,
  PushConflictError,
} from '../../../src/git/errors.js';

function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe('classifyGitError', () => {
  it.each([
    ['HTTP 401', new Errors.HttpError(401, 'Unauthorized', ''), GitConfigError],
    ['HTTP 403', new Errors.HttpError(403, 'Forbidden', ''), GitConfigError],
    ['HTTP 404', new Errors.HttpError(404, 'Not Found', ''), GitConfigError],
    ['HTTP 429', new Errors.HttpError(429, 'Too Many Requests', ''), GitTransientError],
    ['HTTP 500', new Errors.HttpError(500, 'Internal Server Error', ''), GitTransientError],
    ['HTTP 503', new Errors.HttpError(503, 'Service Unavailable', ''), GitTransientError],
    ['a client-side non-fast-forward', new Errors.PushRejectedError('not-fast-forward'), PushConflictError],
    ['an existing tag', new Errors.PushRejectedError('tag-exists'), GitConfigError],
    [
      'a ref update refused by the server',
      new Errors.GitPushError('\n  - refs/heads/main: non-fast-forward', {
        ok: false,
        error: 'non-fast-forward',
        refs: { 'refs/heads/main': { ok: false, error: 'non-fast-forward' } },
      }),
      PushConflictError,
    ],
    ['an empty server response', new Errors.EmptyServerResponseError(), GitTransientError],
    ['a non-git HTTP endpoint', new Errors.SmartHttpError('<html>', '<html></html>'), GitConfigError],
    ['an unknown transport', new Errors.UnknownTransportError('ssh://x', 'ssh'), GitConfigError],
    ['a missing ref', new Errors.NotFoundError('refs/heads/main'), GitConfigError],
    ['a refused connection', systemError('ECONNREFUSED'), GitTransientError],
    ['a reset connection', systemError('ECONNRESET'), GitTransientError],
    ['a DNS failure', systemError('EAI_AGAIN'), GitTransientError],
    [
      'the request deadline',
      Object.assign(new Error('The operation was aborted'), { code: 'ABORT_ERR' }),
      GitTransientError,
    ],
    ['an untrusted certificate', systemError('DEPTH_ZERO_SELF_SIGNED_CERT'), GitConfigError],
  ])('classifies %s', (_, error, expected) => {
    const classified = classifyGitError(error, 'https://git.example.test/repo.git');

    expect(classified).toBeInstanceOf(expected);
    expect(classified?.cause).toBe(error);
    expect(classified?.message).toMatch(/^https:\/\/git\.example\.test\/repo\.git: /);
  });

  it.each([
    ['a plain Error', new Error('HTTP Error: 401 Unauthorized')],
    ['a local disk error', systemError('ENOSPC')],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('leaves %s unclassified, whatever its message says', (_, error) => {
    expect(classifyGitError(error)).toBeUndefined();
  });

  it('gives each class its literal code', () => {
    expect([
      new PushConflictError('a').code,
      new GitTransientError('b').code,
      new GitConfigError('c').code,
    ]).toEqual(['PushConflict', 'GitTransient', 'GitConfig']);
  });
});
