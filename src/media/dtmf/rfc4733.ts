/**
 * RFC 4733 (obsoletes RFC 2833) telephone-event payload: the 4-octet event report of §2.3.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     event     |E|R| volume    |          duration             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * - event (§2.3.1): 0-255; DTMF uses 0-16 (keys.ts).
 * - E (§2.3.2): set on the packet(s) that end the event.
 * - R (§2.3.3): reserved, "MUST be set to zero by the sender and MUST be ignored by the receiver".
 * - volume (§2.3.4): power level of the tone as -dBm0, 0..63 (so 10 means -10 dBm0).
 * - duration (§2.3.5): in timestamp units, measured from the event's RTP timestamp; 16 bits unsigned.
 */
import { TelephoneEventParseError } from './errors.js';

export const TELEPHONE_EVENT_PAYLOAD_SIZE = 4;
/** §2.3.5: the largest duration one event report can carry (8.19 s at 8000 Hz). */
export const MAX_EVENT_DURATION = 0xffff;

export interface TelephoneEvent {
  /** Event code 0..255 (DTMF 0..16). */
  event: number;
  /** End of event (E bit). */
  end: boolean;
  /** Power level as -dBm0, 0..63. */
  volume: number;
  /** Duration in RTP timestamp units, 0..0xFFFF. */
  duration: number;
}

/** Encodes one event report; R is always sent as 0 (§2.3.3). Fields out of range throw a RangeError. */
export function encodeTelephoneEvent(e: TelephoneEvent, target?: Uint8Array, offset = 0): Uint8Array {
  if (!Number.isInteger(e.event) || e.event < 0 || e.event > 255) {
    throw new RangeError(`Telephone-event code ${e.event} is outside 0..255.`);
  }
  if (!Number.isInteger(e.volume) || e.volume < 0 || e.volume > 63) {
    throw new RangeError(`Telephone-event volume ${e.volume} is outside 0..63.`);
  }
  if (!Number.isInteger(e.duration) || e.duration < 0 || e.duration > MAX_EVENT_DURATION) {
    throw new RangeError(`Telephone-event duration ${e.duration} is outside 0..65535.`);
  }
  const out = target ?? new Uint8Array(TELEPHONE_EVENT_PAYLOAD_SIZE);
  out[offset] = e.event;
  out[offset + 1] = (e.end ? 0x80 : 0) | e.volume;
  out[offset + 2] = e.duration >>> 8;
  out[offset + 3] = e.duration & 0xff;
  return out;
}

/**
 * Decodes the event report at the start of an RTP payload. Receivers are lenient where the RFC says so:
 * the R bit is ignored (§2.3.3); octets after the first four (some gateways pad) are ignored.
 */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < TELEPHONE_EVENT_PAYLOAD_SIZE) {
    throw new TelephoneEventParseError(
      `Telephone-event payload has ${payload.length} octets; RFC 4733 §2.3 needs 4.`,
    );
  }
  const b1 = payload[1]!;
  return {
    event: payload[0]!,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}
