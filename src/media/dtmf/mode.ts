/**
 * DTMF modes as people write them (command line, scripts) → the mode the scheduler takes. The one
 * parser for every front end. RFC 2833 is the old number of RFC 4733 (Exchange UM 2007's
 * documentation still says 2833), "sipinfo" the usual name of SIP INFO; case and "-", "_", "." or
 * spaces do not matter ("RFC 2833", "in-band", "SIP_INFO").
 */
import { SpellingError } from '../../util/errors.js';
import type { DtmfModeRequest } from './scheduler.js';

/** The modes, as umphone names them. */
export const DTMF_MODES: readonly DtmfModeRequest[] = ['auto', 'rfc4733', 'inband', 'info'];

const SPELLINGS: ReadonlyArray<readonly [string, DtmfModeRequest]> = [
  ['auto', 'auto'], ['rfc4733', 'rfc4733'], ['rfc2833', 'rfc4733'], ['inband', 'inband'], ['info', 'info'], ['sipinfo', 'info'],
];

/** Every spelling parseDtmfMode accepts, in lower case. */
export const DTMF_MODE_SPELLINGS: readonly string[] = SPELLINGS.map(([s]) => s);

const BY_SPELLING = new Map(SPELLINGS);

/** A DTMF mode nobody here knows; `accepted` lists every spelling. */
export class DtmfModeError extends SpellingError {
  constructor(input: string) {
    super(`unknown DTMF mode "${input.trim()}": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)`, 'DTMF_MODE', input, DTMF_MODE_SPELLINGS);
  }
}

/** "rfc2833" → 'rfc4733'. Throws DtmfModeError. */
export function parseDtmfMode(text: string): DtmfModeRequest {
  const mode = BY_SPELLING.get(text.trim().toLowerCase().replace(/[-_. ]/g, ''));
  if (mode === undefined) throw new DtmfModeError(text);
  return mode;
}
