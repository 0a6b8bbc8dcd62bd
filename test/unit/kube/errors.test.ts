// Which failures of the API server are facts about the objects (recorded in git as a stall) and which are
// outages of the moment (held, and told by readiness only).
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ApplyError, isRefusal } from '../../../src/kube/errors.js';

const applyError = (status: number | undefined) =>
  new ApplyError('Service/demo/podinfo-canary', status, 'detail');

describe('isRefusal', () => {
  it('is true for the answers that refuse the object: invalid, forbidden, conflicting', () => {
    expect([400, 403, 404, 409, 422].map((status) => isRefusal(applyError(status)))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(isRefusal(new ApiException(422, 'invalid', { message: 'spec.clusterIP: Invalid' }, {}))).toBe(
      true,
    );
  });

  it('is false for an outage: no answer, a deadline, throttling, a 5xx', () => {
    const timeout = Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' });
    expect([undefined, 408, 429, 500, 503].map((status) => isRefusal(applyError(status)))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isRefusal(timeout)).toBe(false);
    expect(isRefusal(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toBe(false);
  });
});
