import { describe, expect, it } from 'vitest';
import { DURATION_UNITS, DurationError, parseDuration } from '../../../src/util/duration.js';
import { SpellingError } from '../../../src/util/errors.js';

describe('parseDuration', () => {
  it.each([
    ['5s', 5000], ['1.5s', 1500], ['500ms', 500], ['2m', 120_000], ['1m30s', 90_000], ['1 min', 60_000],
    ['0.25 s', 250], ['3sec', 3000], ['1h', 3_600_000], ['1h 2m 3s', 3_723_000], [' 20S ', 20_000], ['0s', 0],
  ])('%j = %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    // A unit written wins over the bare unit of the setting.
    expect(parseDuration(text, { bareUnit: 'ms' })).toBe(ms);
  });

  it.each([
    ['20', 's', 20_000], ['2.5', 's', 2500], ['0', 's', 0], ['120', 'ms', 120], ['0.4', 'ms', 0],
  ] as const)('bare %j counts the setting\'s unit (%s) → %i ms', (text, unit, ms) => {
    expect(parseDuration(text, { bareUnit: unit })).toBe(ms);
  });

  it.each([
    ['5', undefined, '"5" needs a unit (5s or 5ms)'],
    ['5 parsecs', undefined, '"5 parsecs" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['s', undefined, '"s" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['-1', 's', '"-1" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['-5s', undefined, '"-5s" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['NaN', 's', '"NaN" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['', 's', '"" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['1e3', 'ms', '"1e3" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
  ] as const)('%j (bare unit %s) is refused', (text, unit, message) => {
    const parse = () => parseDuration(text, unit === undefined ? {} : { bareUnit: unit });
    expect(parse).toThrow(DurationError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (e) {
      expect(e).toBeInstanceOf(SpellingError);
      expect((e as DurationError).input).toBe(text);
      expect((e as DurationError).accepted).toEqual(DURATION_UNITS);
      expect((e as DurationError).code).toBe('DURATION');
    }
  });
});
