/**
 * DTMF sequences as people type them in scripts: "1234#,,5678".
 *   - keys: 0-9 * # A-D (a-d accepted), R = hook flash (RFC 4733 event 16; not available in-band);
 *   - `,` = a pause (500 ms by default, as dialers and Exchange's connectivity test use a comma);
 *   - spaces are ignored, so "1234 #" reads like "1234#".
 * Anything else is a DtmfSequenceError naming the character and its index.
 */
import { DtmfSequenceError } from './errors.js';
import { parseKey, type DtmfKey } from './keys.js';

export type DtmfStep =
  | { kind: 'key'; key: DtmfKey; durationMs?: number }
  | { kind: 'pause'; ms: number };

export const DEFAULT_PAUSE_MS = 500;

export function parseDtmfSequence(sequence: string, pauseMs = DEFAULT_PAUSE_MS): DtmfStep[] {
  const steps: DtmfStep[] = [];
  for (let i = 0; i < sequence.length; i++) {
    const ch = sequence[i]!;
    if (ch === ' ') continue;
    if (ch === ',') {
      steps.push({ kind: 'pause', ms: pauseMs });
      continue;
    }
    const key = parseKey(ch);
    if (!key) throw new DtmfSequenceError(sequence, i);
    steps.push({ kind: 'key', key });
  }
  return steps;
}
