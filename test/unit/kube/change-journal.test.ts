import { describe, expect, it } from 'vitest';
import { ChangeJournal, liveRefKey } from '../../../src/kube/change-journal.js';

const key = (name: string) => liveRefKey({ apiVersion: 'v1', kind: 'Service', namespace: 'web', name });

describe('ChangeJournal', () => {
  it('says all at the first take, then what was noted since the last take', () => {
    const journal = new ChangeJournal();
    journal.note(key('a-primary'));
    expect(journal.take()).toBe('all');
    expect(journal.take()).toEqual(new Set());
    journal.note(key('a-primary'));
    journal.note(key('b-canary'));
    expect(journal.take()).toEqual(new Set([key('a-primary'), key('b-canary')]));
    expect(journal.take()).toEqual(new Set());
  });

  it('says all after a change it cannot name, and past its limit', () => {
    const journal = new ChangeJournal(2);
    journal.take();
    journal.note(key('a'));
    journal.noteAll();
    journal.note(key('b'));
    expect(journal.take()).toBe('all');
    for (const name of ['a', 'b', 'c']) journal.note(key(name));
    expect(journal.take()).toBe('all');
    journal.note(key('a'));
    expect(journal.take()).toEqual(new Set([key('a')]));
  });
});
