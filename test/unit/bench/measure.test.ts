import { describe, expect, it } from 'vitest';
import { statusKiB } from '../../../bench/measure.js';

const status = ['Name:\tnode', 'VmPeak:\t 1234567 kB', 'VmHWM:\t  171384 kB', 'VmRSS:\t  165028 kB', ''].join(
  '\n',
);

describe('statusKiB', () => {
  it('reads the field asked for, not the one beside it', () => {
    expect(statusKiB(status, 'VmHWM')).toBe(171384);
    expect(statusKiB(status, 'VmRSS')).toBe(165028);
  });

  it('is undefined for a field the status does not have', () => {
    expect(statusKiB(status, 'RssShmem')).toBeUndefined();
    expect(statusKiB('', 'VmHWM')).toBeUndefined();
  });
});
