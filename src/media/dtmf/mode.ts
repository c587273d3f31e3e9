/**
 * DTMF modes: how a call sends its digits (RFC 4733 events, in-band tones or SIP INFO, or 'auto'),
 * the one parser of their names for every front end (command line, scripts), and the choice of a
 * mode once the SDP answer is known.
 *
 * Names: RFC 2833 is the old number of RFC 4733 (Exchange UM 2007's documentation still says 2833),
 * "sipinfo" the usual name of SIP INFO; case and "-", "_", "." or spaces do not matter ("RFC 2833",
 * "in-band", "SIP_INFO").
 */
import { SpellingError } from '../../util/errors.js';
import { DtmfConfigError } from './errors.js';
import type { DtmfMethod } from './keys.js';

export type DtmfMode = DtmfMethod;
export type DtmfModeRequest = DtmfMode | 'auto';

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

/**
 * 'auto' = RFC 4733 when the answer negotiated telephone-event (its payload type given), else in-band.
 * Exchange UM 2007 recognizes RFC 2833 events only, so 'auto' never falls back to in-band when
 * telephone-event was negotiated; 'rfc4733' without a negotiated payload type is an error.
 */
export function chooseDtmfMode(requested: DtmfModeRequest, telephoneEventPt?: number): DtmfMode {
  if (requested === 'auto') return telephoneEventPt === undefined ? 'inband' : 'rfc4733';
  if (requested === 'rfc4733' && telephoneEventPt === undefined) {
    throw new DtmfConfigError('RFC 4733 DTMF was requested but the SDP answer did not negotiate telephone-event.');
  }
  return requested;
}
