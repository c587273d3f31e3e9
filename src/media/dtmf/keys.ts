/**
 * The sixteen DTMF keys (plus hook flash), their RFC 4733 event codes and their ITU-T Q.23 tone pairs.
 *
 * One vocabulary for every way a digit travels: RFC 4733 telephone-events (§3.2 table 7: events 0-9,
 * `*` = 10, `#` = 11, A-D = 12-15, flash = 16), in-band tone pairs, and SIP INFO bodies.
 * Flash is written `R` (the letter baresip and most phones use for "register recall"); it has no tone pair.
 */

/** A DTMF key as written in sequences and reported in events. `R` is hook flash (event 16). */
export type DtmfKey =
  | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9'
  | '*' | '#' | 'A' | 'B' | 'C' | 'D' | 'R';

/** The keys that have an in-band tone pair (all but flash). */
export type DtmfToneKey = Exclude<DtmfKey, 'R'>;

/** How a digit reached us (or left us). */
export type DtmfMethod = 'rfc4733' | 'inband' | 'info';

/** One detected digit, whatever carried it. */
export interface DtmfDigitEvent {
  digit: DtmfKey;
  method: DtmfMethod;
  /** Start of the digit on the receiver's time base (ms): clock time for RTP/INFO, audio time for in-band. */
  startMs: number;
  /** How long the key was held (ms); 0 when the carrier gives no duration (a bare application/dtmf INFO). */
  durationMs: number;
}

/** RFC 4733 §3.2: event codes in index order 0..16. */
const EVENT_KEYS: readonly DtmfKey[] = [
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', 'R',
];

/** All sixteen tone keys in the order of their event codes. */
export const DTMF_TONE_KEYS: readonly DtmfToneKey[] = EVENT_KEYS.slice(0, 16) as DtmfToneKey[];

/** The RFC 4733 event code of a key (0-16). */
export function keyToEvent(key: DtmfKey): number {
  return EVENT_KEYS.indexOf(key);
}

/** The key of an RFC 4733 event code, or undefined for events that are not DTMF (e.g. 32 = ANS). */
export function eventToKey(event: number): DtmfKey | undefined {
  return EVENT_KEYS[event];
}

/** Accepts lower-case a-d too (scripts are typed by people); anything else is not a key. */
export function parseKey(ch: string): DtmfKey | undefined {
  const up = ch.length === 1 ? ch.toUpperCase() : '';
  return (EVENT_KEYS as readonly string[]).includes(up) ? (up as DtmfKey) : undefined;
}

/** ITU-T Q.23: the low (row) group and the high (column) group, Hz. */
export const LOW_GROUP_HZ = [697, 770, 852, 941] as const;
export const HIGH_GROUP_HZ = [1209, 1336, 1477, 1633] as const;

/** Q.23 keypad layout: row index (low group) × column index (high group). */
const KEYPAD: readonly (readonly DtmfToneKey[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

/** Row and column indices of a tone key. */
export function keyToRowCol(key: DtmfToneKey): { row: number; col: number } {
  for (let row = 0; row < 4; row++) {
    const col = KEYPAD[row]!.indexOf(key);
    if (col >= 0) return { row, col };
  }
  throw new RangeError(`Not a DTMF tone key: ${JSON.stringify(key)}.`);
}

/** The key at a row (low tone index) and column (high tone index). */
export function rowColToKey(row: number, col: number): DtmfToneKey {
  return KEYPAD[row]![col]!;
}

/** The nominal tone pair of a key (Hz). */
export function keyFrequencies(key: DtmfToneKey): { lowHz: number; highHz: number } {
  const { row, col } = keyToRowCol(key);
  return { lowHz: LOW_GROUP_HZ[row]!, highHz: HIGH_GROUP_HZ[col]! };
}
