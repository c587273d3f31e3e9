/**
 * Durations as people write them in scripts: "5s", "1.5s", "500ms", "2m", "1m30s". A bare number is
 * refused: "timeout: 5" could mean seconds or milliseconds, and guessing wrong makes a test wait 1000
 * times too long or fail at once.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parses a duration to ms, or returns the reason it is not one. */
export function parseDuration(text: string): number | { error: string } {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return { error: `"${text}" needs a unit (${t}s or ${t}ms)` };
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
  if (pos === 0 || pos !== t.length) return { error: `"${text}" is not a duration (write 5s, 1.5s, 500ms or 2m)` };
  return Math.round(total);
}
