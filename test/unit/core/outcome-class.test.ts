import { describe, expect, it } from 'vitest';
import {
  classOf,
  conditionChanges,
  conditionOf,
  failedCondition,
  kubeStatusClass,
  readiness,
  type ConditionChange,
  type ErrorFact,
  type OutcomeClass,
} from '../../../src/core/outcome-class.js';

describe('classOf', () => {
  it.each<[string, ErrorFact, OutcomeClass]>([
    ['an invalid manifest', { source: 'manifest', code: 'ManifestInvalid' }, 'stalled'],
    [
      'two Canaries with one generated path',
      { source: 'generated-path', code: 'GeneratedPathClash' },
      'stalled',
    ],
    ['objects gitcanary does not own', { source: 'plan', code: 'ForeignObject' }, 'stalled'],
    ['a namespace that is not watched', { source: 'plan', code: 'NotWatched' }, 'stalled'],
    ['an invalid generated file', { source: 'plan', code: 'GeneratedFileInvalid' }, 'stalled'],
    ['a refused hand edit', { source: 'plan', code: 'HandEdited' }, 'stalled'],
    ['refused externalIPs', { source: 'plan', code: 'ExternalIPsRefused' }, 'stalled'],
    ['a git configuration error', { source: 'git', code: 'GitConfig' }, 'stalled'],
    ['a git network error', { source: 'git', code: 'GitTransient' }, 'retrying'],
    ['a push conflict', { source: 'git', code: 'PushConflict' }, 'retrying'],
    ['an apply forbidden by RBAC', { source: 'kube', code: 'ApplyFailed', status: 403 }, 'stalled'],
    [
      'an apply the API server finds invalid',
      { source: 'kube', code: 'ApplyFailed', status: 422 },
      'stalled',
    ],
    ['an apply with no answer', { source: 'kube', code: 'ApplyFailed', status: undefined }, 'retrying'],
    ['an apply answered 503', { source: 'kube', code: 'ApplyFailed', status: 503 }, 'retrying'],
    [
      'an apply still in conflict when forced',
      { source: 'kube', code: 'ApplyFailed', status: 409 },
      'stalled',
    ],
  ])('classes %s as %s', (_, fact, expected) => {
    expect(classOf(fact)).toBe(expected);
  });
});

describe('kubeStatusClass', () => {
  it.each<[number | undefined, OutcomeClass]>([
    [undefined, 'retrying'],
    [400, 'stalled'],
    [401, 'stalled'],
    [403, 'stalled'],
    [404, 'stalled'],
    [408, 'retrying'],
    [409, 'stalled'],
    [422, 'stalled'],
    [429, 'retrying'],
    [500, 'retrying'],
    [504, 'retrying'],
  ])('classes HTTP %s as %s', (status, expected) => {
    expect(kubeStatusClass(status)).toBe(expected);
  });
});

describe('failedCondition', () => {
  it('gives the condition of the class and the code as the reason', () => {
    expect(failedCondition({ source: 'plan', code: 'HandEdited' })).toEqual({
      condition: 'Stalled',
      reason: 'HandEdited',
    });
    expect(failedCondition({ source: 'kube', code: 'ApplyFailed', status: 503 })).toEqual({
      condition: 'Retrying',
      reason: 'ApplyFailed',
    });
  });
});

describe('conditionOf', () => {
  it.each([
    [{ condition: 'Stalled' as const, error: 'x' }, 'Stalled'],
    [{}, 'Ready'],
    // An error nobody classified is retried.
    [{ error: 'x' }, 'Retrying'],
  ])('gives %j the condition %s', (outcome, expected) => {
    expect(conditionOf(outcome)).toBe(expected);
  });
});

describe('readiness', () => {
  it('counts the Canaries of a pass in each condition', () => {
    expect(
      readiness([
        { condition: 'Ready' },
        { condition: 'Ready' },
        { condition: 'Retrying', error: 'timeout' },
        { condition: 'Stalled', error: 'bad input' },
        { error: 'unclassified' },
      ]),
    ).toEqual({ ready: 2, retrying: 2, stalled: 1 });
  });

  it('counts nothing for a repository without Canaries', () => {
    expect(readiness([])).toEqual({ ready: 0, retrying: 0, stalled: 0 });
  });
});

describe('conditionChanges', () => {
  const stalled: ConditionChange = {
    canary: 'demo/a',
    condition: 'Stalled',
    reason: 'HandEdited',
    message: 'edited',
  };

  it('tells of a Canary that fails for the first time, and not of one that is Ready', () => {
    const changes = conditionChanges(new Map(), [
      { canary: 'demo/a', condition: 'Stalled', reason: 'HandEdited', error: 'edited' },
      { canary: 'demo/b', condition: 'Ready' },
    ]);

    expect(changes).toEqual([stalled]);
  });

  it('tells nothing while the condition and reason stay the same, whatever the wording', () => {
    const changes = conditionChanges(new Map([['demo/a', stalled]]), [
      { canary: 'demo/a', condition: 'Stalled', reason: 'HandEdited', error: 'edited again' },
    ]);

    expect(changes).toEqual([]);
  });

  it('tells of a new reason or condition', () => {
    const changes = conditionChanges(new Map([['demo/a', stalled]]), [
      { canary: 'demo/a', condition: 'Retrying', reason: 'ApplyFailed', error: 'timeout' },
    ]);

    expect(changes).toEqual([
      { canary: 'demo/a', condition: 'Retrying', reason: 'ApplyFailed', message: 'timeout' },
    ]);
  });

  it('tells once that a failed Canary is Ready again', () => {
    const recovered = conditionChanges(new Map([['demo/a', stalled]]), [
      { canary: 'demo/a', condition: 'Ready' },
    ]);
    const [change] = recovered;
    const again = conditionChanges(new Map([['demo/a', change as ConditionChange]]), [
      { canary: 'demo/a', condition: 'Ready' },
    ]);

    expect(recovered).toEqual([
      {
        canary: 'demo/a',
        condition: 'Ready',
        reason: 'Recovered',
        message: 'reconciled again after HandEdited',
      },
    ]);
    expect(again).toEqual([]);
  });
});
