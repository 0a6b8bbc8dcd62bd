import { describe, expect, it } from 'vitest';
import { auditShardRun, type HistoryCommit } from '../../../bench/shard-audit.js';
import { percentile } from '../../../bench/measure.js';

const step = (oid: string, name: string, from: number, to: number, revision = 'rev1'): HistoryCommit => ({
  oid,
  message: `${name}: weight ${from} → ${to}\n\nCanary: team/${name}\nCanary-Phase: Progressing\nCanary-Weight: ${to}\nCanary-Revision: ${revision}\n`,
});
const human = (oid: string): HistoryCommit => ({ oid, message: 'README: round 1\n' });

const due = ['team/a', 'team/b'];
const clean = [
  step('a1', 'a', 0, 10),
  human('h1'),
  step('b1', 'b', 0, 10),
  step('a2', 'a', 10, 20),
  step('b2', 'b', 10, 20),
];
const run = (history: HistoryCommit[], extra: { accepted?: string[]; human?: string[] } = {}) =>
  auditShardRun({
    history,
    due,
    rounds: 2,
    accepted: extra.accepted ?? history.filter((c) => c.oid !== 'h1').map((c) => c.oid),
    human: extra.human ?? ['h1'],
  });

describe('auditShardRun', () => {
  it('finds nothing wrong when every due Canary stepped once a round and every pushed commit is on the branch', () => {
    const audit = run(clean);

    expect(audit).toEqual({
      stepOids: ['a1', 'b1', 'a2', 'b2'],
      expectedSteps: 4,
      doubleSteps: [],
      lostSteps: [],
      lostCommits: [],
      unexpected: [],
      unreported: [],
    });
  });

  it('reports a step committed twice for one Canary and revision', () => {
    const audit = run([...clean.slice(0, 3), step('a1b', 'a', 0, 10), ...clean.slice(3)]);

    expect(audit.doubleSteps).toEqual(['team/a: weight 0 → 10 (rev1): committed 2 times']);
    expect(audit.lostSteps).toEqual([]);
  });

  it('reports a Canary stepped more often than it was due', () => {
    const audit = run([...clean, step('a3', 'a', 20, 30)]);

    expect(audit.doubleSteps).toEqual(['team/a: 3 steps in 2 rounds']);
  });

  it('takes the same step of another revision for no double step', () => {
    const audit = run([
      step('a1', 'a', 0, 10),
      step('a2', 'a', 0, 10, 'rev2'),
      ...clean.slice(2, 3),
      clean[4] as HistoryCommit,
    ]);

    expect(audit.doubleSteps).toEqual([]);
    expect(audit.lostSteps).toEqual([]);
  });

  it('reports a due step that was never committed', () => {
    const audit = run(clean.filter((c) => c.oid !== 'b2'));

    expect(audit.lostSteps).toEqual(['team/b: 1 steps in 2 rounds']);
    expect(audit.stepOids).toHaveLength(3);
  });

  it('reports an accepted commit, or a person’s, that the branch lost', () => {
    const audit = run(
      clean.filter((c) => c.oid !== 'h1' && c.oid !== 'b2'),
      {
        accepted: ['a1', 'b1', 'a2', 'b2'],
      },
    );

    expect(audit.lostCommits).toEqual(['b2', 'h1']);
  });

  it('reports a step of a Canary that was not due, and a step nobody said it pushed', () => {
    const audit = run([...clean, step('c1', 'c', 0, 10)], { accepted: ['a1', 'b1', 'a2'] });

    expect(audit.unexpected).toEqual(['c1 c: weight 0 → 10']);
    expect(audit.unreported).toEqual(['b2']);
  });
});

describe('percentile', () => {
  it.each([
    [[], 50, Number.NaN],
    [[7], 99, 7],
    [[4, 1, 3, 2], 50, 2],
    [[4, 1, 3, 2], 99, 4],
    [[...Array(100).keys()].map((i) => i + 1), 99, 99],
    [[...Array(100).keys()].map((i) => i + 1), 100, 100],
    [[5, 6], 0, 5],
  ])('of %j at %i is %d', (values, p, expected) => {
    expect(percentile(values, p)).toEqual(expected);
  });
});
