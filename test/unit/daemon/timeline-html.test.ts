import { describe, expect, it } from 'vitest';
import { renderTimeline } from '../../../src/daemon/timeline-html.js';
import { weightRuns } from '../../../src/core/weight-runs.js';

const commit = (n: number, subject: string, phase: string, weight: number, revision = 'r2') => ({
  oid: String(n).padStart(40, '0'),
  timestamp: 1_000 + n * 60,
  message: `podinfo: ${subject}\n\nCanary: demo/podinfo\nCanary-Phase: ${phase}\nCanary-Weight: ${weight}\nCanary-Revision: ${revision}\n`,
});

// Newest first, as history is read; an older run (r1, rolled back) before the latest (r2, promoted).
const history = [
  commit(9, 'promoted r2', 'Succeeded', 0),
  commit(8, 'weight 10 → 0, finalising', 'Finalising', 0),
  commit(7, 'promoting r2', 'Promoting', 10),
  commit(6, 'weight 0 → 10', 'Progressing', 10),
  commit(5, 'new revision r2, analysis started', 'Progressing', 0),
  { oid: 'f'.repeat(40), timestamp: 1_250, message: 'release green\n' },
  commit(4, 'rolled back r1, weight 10 → 0', 'Failed', 0, 'r1'),
  commit(3, 'weight 0 → 10', 'Progressing', 10, 'r1'),
  commit(2, 'new revision r1, analysis started', 'Progressing', 0, 'r1'),
  commit(1, 'initialized at r0', 'Initialized', 0, 'r0'),
];

describe('weightRuns', () => {
  it('splits the history into runs, oldest first, each from its new revision to its end', () => {
    const runs = weightRuns(history, 'demo/podinfo');

    expect(runs.map((r) => [r.revision, r.phase, r.points.map((p) => p.weight)])).toEqual([
      ['r1', 'Failed', [0, 10, 0]],
      ['r2', 'Succeeded', [0, 10, 10, 0, 0]],
    ]);
    expect(runs[0]?.points.at(-1)?.failed).toBe(true);
    expect(weightRuns(history, 'demo/podinfo', 1).map((r) => r.revision)).toEqual(['r2']);
    expect(weightRuns(history, 'demo/other')).toEqual([]);
  });
});

describe('renderTimeline', () => {
  const state = {
    phase: 'Succeeded' as const,
    canaryWeight: 0,
    iteration: 0,
    failedChecks: 0,
    revision: 'r2',
    lastPromotedRevision: 'r2',
    lastStepTime: '2026-11-26T10:09:00.000Z',
    lastChecks: [{ name: 'rate', value: 99.5, min: 99, passed: true }],
    message: '<script>alert(1)</script>',
  };

  it('escapes what it shows and links every point to its commit', () => {
    const html = renderTimeline({
      repository: 'https://git.example.com/team/deploy.git',
      branch: 'main',
      head: '9'.repeat(40),
      generatedAt: '2026-11-26T10:10:00.000Z',
      refreshSeconds: 10,
      canaries: [{ canary: 'demo/podinfo', state, runs: weightRuns(history, 'demo/podinfo') }],
      commitUrl: (sha) => `https://git.example.com/c/${sha}?a=1&b=2`,
    });

    expect(html).toContain('<meta http-equiv="refresh" content="10">');
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<tr data-canary="demo/podinfo" data-phase="Succeeded" data-weight="0">');
    expect(
      html.match(/<a href="https:\/\/git\.example\.com\/c\/0{39}\d\?a=1&#38;b=2"><circle/g),
    ).toHaveLength(8);
    expect(html).toContain('✓ rate 99.5');
  });

  it('says when there is nothing to show yet', () => {
    const html = renderTimeline({
      repository: 'r',
      branch: 'main',
      generatedAt: 'x',
      refreshSeconds: 5,
      canaries: [],
    });

    expect(html).toContain('No Canary in the repository yet.');
    expect(html).toContain('not read yet');
  });
});
