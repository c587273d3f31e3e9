/**
 * The keyboard during `umphone call` when stdin is a terminal in raw mode: what each keypress does.
 *
 *   0-9 * # A-D   send that DTMF digit at once (lower-case a-d too)
 *   h             hang up (CANCEL before the answer, BYE after)
 *   Ctrl-C        hang up; pressed again while hanging up, quit at once
 *   Ctrl-D        hang up
 *   m             mute / unmute the microphone
 *   ?             show the keys
 *
 * In raw mode the terminal delivers keys as they are typed, several per chunk when typed (or pasted)
 * fast, Ctrl-C as the byte 0x03 instead of SIGINT, and cursor or function keys as escape sequences
 * (ESC [ A ...), which are skipped whole so their letters never turn into digits. Pure: chunk in,
 * actions out, in order.
 */
import { parseKey, type DtmfKey } from '../media/dtmf/index.js';

export type KeyAction =
  | { type: 'dtmf'; digit: DtmfKey }
  | { type: 'hangup'; key: 'h' | 'ctrl-c' | 'ctrl-d' }
  | { type: 'mute' }
  | { type: 'help' };

export const KEY_HELP = [
  'Keys: 0-9 * # A-D send DTMF · m mute/unmute · h or Ctrl-C hang up (Ctrl-C twice: quit at once) · ? this help',
].join('\n');

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const ESC = '\u001b';

/** The keys DTMF can be sent with (hook flash R is not on the keyboard: `r` does nothing). */
function dtmfKey(ch: string): DtmfKey | undefined {
  const key = parseKey(ch);
  return key === 'R' ? undefined : key;
}

/** Length of the escape sequence starting at `i` (ESC [ params final, ESC O x, or ESC x). */
function escapeLength(chunk: string, i: number): number {
  const next = chunk[i + 1];
  if (next === undefined) return 1;
  if (next === '[') {
    // CSI: parameter and intermediate bytes 0x20-0x3f, then one final byte 0x40-0x7e (ECMA-48 §5.4).
    let j = i + 2;
    while (j < chunk.length && chunk.charCodeAt(j) >= 0x20 && chunk.charCodeAt(j) <= 0x3f) j++;
    return Math.min(chunk.length, j + 1) - i;
  }
  if (next === 'O') return Math.min(3, chunk.length - i); // SS3: F1-F4, keypad in application mode
  return 2; // Alt+key
}

/** Every action a chunk of raw input asks for, in the order typed. Unknown keys are ignored. */
export function keyActions(chunk: string): KeyAction[] {
  const out: KeyAction[] = [];
  for (let i = 0; i < chunk.length; ) {
    const ch = chunk[i]!;
    if (ch === ESC) {
      i += escapeLength(chunk, i);
      continue;
    }
    i++;
    if (ch === CTRL_C) out.push({ type: 'hangup', key: 'ctrl-c' });
    else if (ch === CTRL_D) out.push({ type: 'hangup', key: 'ctrl-d' });
    else if (ch === 'h' || ch === 'H') out.push({ type: 'hangup', key: 'h' });
    else if (ch === 'm' || ch === 'M') out.push({ type: 'mute' });
    else if (ch === '?') out.push({ type: 'help' });
    else {
      const digit = dtmfKey(ch);
      if (digit) out.push({ type: 'dtmf', digit });
    }
  }
  return out;
}
