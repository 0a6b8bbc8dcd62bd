import { describe, expect, it } from 'vitest';
import { flat } from '../../../src/core/flat-string.js';

describe('flat', () => {
  it('joins its parts in order, with nothing between them', () => {
    expect(flat('s5000-team-0', '/', 'app-00001')).toBe('s5000-team-0/app-00001');
    expect(flat('apps/', '', 'podinfo', '.gitcanary.yaml')).toBe('apps/podinfo.gitcanary.yaml');
    expect(flat()).toBe('');
  });
});
