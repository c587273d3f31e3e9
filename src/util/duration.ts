/**
 * Durations as people write them: "5s", "1.5s", "500ms", "2m", "1m30s", "1 min". The one parser for
 * the command line, scripts and the UM menus file.
 *
 * A bare number ("5") has no unit. Where the unit is written next to the setting (`--duration` is in
 * seconds, `--dtmf-gap` in ms, `timeouts.firstDigitMs`) the caller says which one it is; where it is
 * not (a script's `timeout: 5`) it is refused, because guessing seconds for milliseconds makes a test
 * wait 1000 times too long or fail at once.
 */
import { SpellingError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** The units a duration may carry. */
export const DURATION_UNITS: readonly string[] = Object.keys(UNIT_MS);

export interface DurationOptions {
  /** What a bare number counts; without it a bare number is refused. */
  bareUnit?: 'ms' | 's';
}

/** Not a duration; `accepted` lists the units. */
export class DurationError extends SpellingError {
  constructor(message: string, input: string) {
    super(message, 'DURATION', input, DURATION_UNITS);
  }
}

/** A duration in whole milliseconds (≥ 0). Throws DurationError. */
export function parseDuration(text: string, options: DurationOptions = {}): number {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) {
    if (options.bareUnit === undefined) throw new DurationError(`"${text}" needs a unit (${t}s or ${t}ms)`, text);
    return Math.round(Number(t) * UNIT_MS[options.bareUnit]!);
  }
  const re = /(\d+(?:\.\d+)?)\s*(ms|sec|s|min|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
    while (t[pos] === ' ') pos++;
    re.lastIndex = pos;
  }
  if (pos === 0 || pos !== t.length) throw new DurationError(`"${text}" is not a duration (write 5s, 1.5s, 500ms or 2m)`, text);
  return Math.round(total);
}
