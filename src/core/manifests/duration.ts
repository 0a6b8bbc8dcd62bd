// Go duration strings (`30s`, `1m30s`, `500ms`), the syntax Flagger uses for `analysis.interval` and
// metric intervals. Parsed the way Go's time.ParseDuration does, so a manifest that Flagger accepts means
// the same here, and one it rejects is rejected with a message a person can act on.

const NANOSECONDS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign, accepted by Go
  μs: 1e3, // U+03BC Greek mu, accepted by Go
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// Go stores durations as int64 nanoseconds (about 292 years) and reports an overflow beyond that.
const NANOSECONDS_LIMIT = 2 ** 63;

const SEGMENT = /^(\d*)(?:\.(\d*))?([^\d.]*)/u;

export class InvalidDurationError extends Error {
  readonly code = 'InvalidDuration';

  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid duration "${input}": ${reason} (expected e.g. 30s, 1m30s, 500ms, 2h)`);
    this.name = 'InvalidDurationError';
  }
}

/** Parses a Go duration string into seconds (fractions kept: `500ms` is 0.5). Throws InvalidDurationError. */
export function parseDuration(input: string): number {
  let rest = input;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go accepts a bare zero without a unit, and nothing else without one.
  if (rest === '0') return 0;
  if (rest === '') throw new InvalidDurationError(input, 'empty');

  let nanoseconds = 0;
  while (rest !== '') {
    const match = SEGMENT.exec(rest);
    const [segment, whole = '', fraction = '', unit = ''] = match ?? [];
    if (segment === undefined || (whole === '' && fraction === '')) {
      throw new InvalidDurationError(input, `expected a number at "${rest}"`);
    }
    if (unit === '') throw new InvalidDurationError(input, `missing unit after "${segment}"`);
    const perUnit = NANOSECONDS_PER_UNIT[unit];
    if (perUnit === undefined) throw new InvalidDurationError(input, `unknown unit "${unit}"`);

    // Whole and fraction are scaled separately so `1.1s` is exactly 1.1 and not 1.1000000000000000888.
    nanoseconds += Number(whole || '0') * perUnit;
    if (fraction !== '') nanoseconds += Math.round(Number(`0.${fraction}`) * perUnit);
    if (nanoseconds >= NANOSECONDS_LIMIT) throw new InvalidDurationError(input, 'out of range');
    rest = rest.slice(segment.length);
  }
  return (sign * nanoseconds) / 1e9;
}
