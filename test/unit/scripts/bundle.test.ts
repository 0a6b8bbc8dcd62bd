import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { asciiOnly } from '../../../scripts/bundle.js';

// What a script computes, evaluated as written and after asciiOnly.
const both = (code: string) =>
  [runInNewContext(code) as unknown, runInNewContext(asciiOnly(code)) as unknown] as const;

describe('asciiOnly', () => {
  it('leaves no character outside ASCII, and changes none inside', () => {
    const code = "const s = 'naïve — 😀'; /[\\ud800-\uffff]/.test(s)";
    expect(asciiOnly(code)).not.toMatch(/[\u0080-\uffff]/);
    expect(asciiOnly('const a = `x${1}` + /[a-z]/g.source;')).toBe('const a = `x${1}` + /[a-z]/g.source;');
  });

  it('keeps the meaning of strings, templates, identifiers and regular expressions', () => {
    for (const code of [
      "'naïve — 😀'",
      '`× ${1 + 1} ×`',
      'const café = 2; café * 3',
      "/[\\ud800-\uffff]/.test('\\uffff') && !/[\\ud800-\uffff]/.test('a')",
      "/^😀+$/u.test('😀😀') && !/^😀$/u.test('😀😀')",
      "/^—$/.exec('—')[0]",
    ]) {
      const [before, after] = both(code);
      expect(after).toEqual(before);
    }
  });
});
