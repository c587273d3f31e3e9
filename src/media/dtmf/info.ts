/**
 * DTMF in SIP INFO bodies (RFC 6086 carries them; the formats are de-facto standards):
 *   - `application/dtmf-relay` (Cisco's, the common one): `Signal=5\r\nDuration=160\r\n`, Duration in
 *     milliseconds; flash is `Signal=!` (some send `16`).
 *   - `application/dtmf`: the bare key, e.g. `5` (no duration).
 * This file only builds and parses bodies; the call layer sends and receives the INFO request.
 * Parsing is lenient in what real devices vary on: header case, spaces around `=`, bare LF line ends,
 * parameters on the content type, a `Signal=` line inside `application/dtmf`, numeric event codes.
 */
import { DtmfInfoParseError } from './errors.js';
import { eventToKey, parseKey, type DtmfDigitEvent, type DtmfKey } from './keys.js';

export type DtmfInfoFormat = 'dtmf-relay' | 'dtmf';

export const DTMF_RELAY_CONTENT_TYPE = 'application/dtmf-relay';
export const DTMF_CONTENT_TYPE = 'application/dtmf';

export interface DtmfInfoBody {
  contentType: typeof DTMF_RELAY_CONTENT_TYPE | typeof DTMF_CONTENT_TYPE;
  body: string;
}

export interface ParsedDtmfInfo {
  digit: DtmfKey;
  /** Milliseconds, when the body says (dtmf-relay `Duration=`). */
  durationMs?: number;
}

/** Builds the body of an INFO carrying one key. */
export function buildDtmfInfo(key: DtmfKey, durationMs: number, format: DtmfInfoFormat = 'dtmf-relay'): DtmfInfoBody {
  const signal = key === 'R' ? '!' : key;
  if (format === 'dtmf') return { contentType: DTMF_CONTENT_TYPE, body: signal };
  return {
    contentType: DTMF_RELAY_CONTENT_TYPE,
    body: `Signal=${signal}\r\nDuration=${Math.round(durationMs)}\r\n`,
  };
}

/** True for the two content types this file understands (parameters and case ignored). */
export function isDtmfInfoContentType(contentType: string): boolean {
  const base = mediaType(contentType);
  return base === DTMF_RELAY_CONTENT_TYPE || base === DTMF_CONTENT_TYPE;
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

/** A `Signal` value: a key character, `!` for flash, or an RFC 4733 event code 0-16. */
function signalToKey(value: string): DtmfKey | undefined {
  const v = value.trim();
  if (v === '!') return 'R';
  if (/^\d{2}$/.test(v)) return eventToKey(Number(v));
  return parseKey(v);
}

export function parseDtmfInfo(contentType: string, body: string | Uint8Array): ParsedDtmfInfo {
  const type = mediaType(contentType);
  if (type !== DTMF_RELAY_CONTENT_TYPE && type !== DTMF_CONTENT_TYPE) {
    throw new DtmfInfoParseError(`Content type ${JSON.stringify(contentType)} does not carry DTMF.`);
  }
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  if (type === DTMF_CONTENT_TYPE && !/signal\s*=/i.test(text)) {
    const digit = signalToKey(text);
    if (!digit) throw new DtmfInfoParseError(`application/dtmf body ${JSON.stringify(text)} is not a DTMF key.`);
    return { digit };
  }
  let digit: DtmfKey | undefined;
  let durationMs: number | undefined;
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (name === 'signal') {
      digit = signalToKey(value);
      if (!digit) throw new DtmfInfoParseError(`DTMF INFO Signal ${JSON.stringify(value)} is not a DTMF key.`);
    } else if (name === 'duration') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
        throw new DtmfInfoParseError(`DTMF INFO Duration ${JSON.stringify(value)} is not a whole number of milliseconds.`);
      }
      durationMs = n;
    }
  }
  if (!digit) throw new DtmfInfoParseError('DTMF INFO body has no Signal line.');
  return durationMs === undefined ? { digit } : { digit, durationMs };
}

/** The typed event for a received INFO (`receivedMs` on the call's clock). */
export function dtmfEventFromInfo(parsed: ParsedDtmfInfo, receivedMs: number): DtmfDigitEvent {
  return { digit: parsed.digit, method: 'info', startMs: receivedMs, durationMs: parsed.durationMs ?? 0 };
}
