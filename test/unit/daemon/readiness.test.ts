import { describe, expect, it } from 'vitest';
import { Readiness } from '../../../src/daemon/readiness.js';

describe('Readiness', () => {
  it.each([
    ['before any pass', [], false],
    ['after a successful pass', ['ok'], true],
    ['after two failures following a success', ['ok', 'fail', 'fail'], true],
    ['after three failures in a row', ['ok', 'fail', 'fail', 'fail'], false],
    ['after a success that ends a run of failures', ['ok', 'fail', 'fail', 'fail', 'ok'], true],
    ['when every pass failed', ['fail'], false],
  ] as const)('a lone replica %s is ready: %s', (_name, passes, ready) => {
    const readiness = new Readiness('single');

    for (const outcome of passes) {
      if (outcome === 'ok') readiness.passSucceeded();
      else readiness.passFailed();
    }

    expect(readiness.status().ready).toBe(ready);
  });

  it('says why the last passes failed', () => {
    const readiness = new Readiness('single');
    readiness.passSucceeded();

    for (let i = 0; i < 3; i += 1) readiness.passFailed('applies to the cluster failed');

    expect(readiness.status()).toEqual({
      ready: false,
      reason: 'the last 3 reconciles failed (last: applies to the cluster failed)',
    });
  });

  it('makes a follower ready while it can read the Lease, so a rolling update can proceed', () => {
    const readiness = new Readiness('follower');
    expect(readiness.status().ready).toBe(false);

    readiness.leaseObserved(true);
    expect(readiness.status()).toEqual({ ready: true, reason: 'follower: the leader reconciles' });

    readiness.leaseObserved(false);
    expect(readiness.status().ready).toBe(false);
  });

  it('makes a new leader prove itself with its own first pass', () => {
    const readiness = new Readiness('follower');
    readiness.leaseObserved(true);

    readiness.setRole('leader');
    expect(readiness.status()).toEqual({ ready: false, reason: 'no reconcile has completed yet' });

    readiness.passSucceeded();
    expect(readiness.status().ready).toBe(true);
  });

  it('is not ready while shutting down', () => {
    const readiness = new Readiness('single');
    readiness.passSucceeded();

    readiness.setRole('stopping');

    expect(readiness.status()).toEqual({ ready: false, reason: 'shutting down' });
  });
});
