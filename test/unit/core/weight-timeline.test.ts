import { describe, expect, it } from 'vitest';
import { weightTimeline } from '../../../src/core/weight-timeline.js';

const commit = (subject: string, phase: string, weight: number, canary = 'demo/podinfo') => ({
  message: `${subject}\n\nCanary: ${canary}\nCanary-Phase: ${phase}\nCanary-Weight: ${weight}\nCanary-Revision: abc\n`,
});

describe('weightTimeline', () => {
  it.each([
    [
      'a promoted run',
      [
        commit('podinfo: promoted abc', 'Succeeded', 0),
        commit('podinfo: weight 20 → 0, finalising', 'Finalising', 0),
        commit('podinfo: promoting abc', 'Promoting', 20),
        commit('podinfo: weight 10 → 20', 'Progressing', 20),
        commit('podinfo: weight 0 → 10', 'Progressing', 10),
        commit('podinfo: new revision abc, analysis started', 'Progressing', 0),
        commit('podinfo: initialized at xyz', 'Initialized', 0),
      ],
      '0 → 10 → 20 → 0 Succeeded',
    ],
    [
      'a run in progress with a failed check, among other canaries and human commits',
      [
        commit('podinfo: check failed (1 of 2)', 'Progressing', 10),
        { message: 'release green\n' },
        commit('other: weight 0 → 50', 'Progressing', 50, 'demo/other'),
        commit('podinfo: weight 0 → 10', 'Progressing', 10),
        commit('podinfo: new revision abc, analysis started', 'Progressing', 0),
      ],
      '0 → 10 ✗',
    ],
  ])('draws %s', (_, commits, expected) => {
    expect(weightTimeline(commits, 'demo/podinfo')).toBe(expected);
  });

  it('has nothing to draw for a canary without commits', () => {
    expect(weightTimeline([{ message: 'unrelated\n' }], 'demo/podinfo')).toBeUndefined();
  });
});
