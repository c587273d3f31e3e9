import { describe, expect, it } from 'vitest';
import { decodeTelephoneEvent, encodeTelephoneEvent } from '../../../../src/media/dtmf/rfc4733.js';
import { TelephoneEventParseError } from '../../../../src/media/dtmf/errors.js';
import { eventToKey, keyToEvent, parseKey } from '../../../../src/media/dtmf/keys.js';

describe('RFC 4733 event payload (§2.3)', () => {
  it.each([
    [{ event: 5, end: false, volume: 10, duration: 160 }, [0x05, 0x0a, 0x00, 0xa0]],
    [{ event: 11, end: true, volume: 10, duration: 800 }, [0x0b, 0x8a, 0x03, 0x20]],
    [{ event: 16, end: true, volume: 63, duration: 0xffff }, [0x10, 0xbf, 0xff, 0xff]],
    [{ event: 0, end: false, volume: 0, duration: 0 }, [0, 0, 0, 0]],
  ])('encodes %o exactly and decodes it back', (ev, bytes) => {
    const enc = encodeTelephoneEvent(ev);
    expect([...enc]).toEqual(bytes);
    expect(decodeTelephoneEvent(enc)).toEqual(ev);
  });

  it('ignores the R bit on receipt (§2.3.3) and octets after the first four', () => {
    expect(decodeTelephoneEvent(Uint8Array.from([3, 0xca, 1, 0, 9, 9]))).toEqual({ event: 3, end: true, volume: 10, duration: 256 });
  });

  it('rejects a short payload with an exact sentence', () => {
    expect(() => decodeTelephoneEvent(Uint8Array.from([1, 2, 3]))).toThrow(TelephoneEventParseError);
    expect(() => decodeTelephoneEvent(Uint8Array.from([1, 2, 3]))).toThrow('Telephone-event payload has 3 octets; RFC 4733 §2.3 needs 4.');
  });

  it.each([
    [{ event: 256, end: false, volume: 10, duration: 1 }, 'Telephone-event code 256 is outside 0..255.'],
    [{ event: 1, end: false, volume: 64, duration: 1 }, 'Telephone-event volume 64 is outside 0..63.'],
    [{ event: 1, end: false, volume: 1, duration: 0x10000 }, 'Telephone-event duration 65536 is outside 0..65535.'],
  ])('refuses out-of-range fields %o', (ev, msg) => {
    expect(() => encodeTelephoneEvent(ev)).toThrow(msg);
  });

  it('maps the 16 keys and flash to events 0-16 (§3.2)', () => {
    expect([...'0123456789*#ABCDR'].map((k) => keyToEvent(parseKey(k)!))).toEqual([...Array(17).keys()]);
    expect(eventToKey(10)).toBe('*');
    expect(eventToKey(32)).toBeUndefined();
    expect(parseKey('b')).toBe('B');
    expect(parseKey('x')).toBeUndefined();
  });
});
