import { describe, expect, it } from 'vitest';
import { InvalidDurationError, parseDuration } from '../../../../src/core/manifests/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['1m', 60],
    ['1m30s', 90],
    ['2h', 7200],
    ['500ms', 0.5],
    ['1.5h', 5400],
    ['1.1s', 1.1],
    ['.5s', 0.5],
    ['5.s', 5],
    ['1h2m3s4ms', 3723.004],
    ['250us', 0.00025],
    ['250µs', 0.00025],
    ['1000000ns', 0.001],
    ['0', 0],
    ['-1m', -60],
    ['+10s', 10],
  ])('reads %s as %d seconds', (input, seconds) => {
    const result = parseDuration(input);

    expect(result).toBeCloseTo(seconds, 9);
  });

  it.each([
    ['', 'empty'],
    ['30', 'missing unit'],
    ['1m30', 'missing unit'],
    ['5d', 'unknown unit "d"'],
    ['1 m', 'unknown unit " m"'],
    ['ms', 'expected a number'],
    ['.s', 'expected a number'],
    ['1.2.3s', 'missing unit'],
    ['-', 'empty'],
    ['one minute', 'expected a number'],
    ['3000000h', 'out of range'],
  ])('rejects %j with a message saying why (%s)', (input, reason) => {
    const parse = (): number => parseDuration(input);

    expect(parse).toThrow(InvalidDurationError);
    expect(parse).toThrow(reason);
  });

  it('names the input and shows valid examples in its error', () => {
    const parse = (): number => parseDuration('soon');

    expect(parse).toThrow('invalid duration "soon": expected a number at "soon" (expected e.g. 30s, 1m30s');
  });
});
