import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRtp, RtpParseError, serializeRtp, writeRtpHeader } from '../../../src/rtp/packet.js';

describe('writeRtpHeader', () => {
  it('writes the exact 12 bytes of a PCMU header with marker', () => {
    const buf = Buffer.alloc(20, 0xee);
    const n = writeRtpHeader(buf, { payloadType: 0, marker: true, sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304 }, 4);
    expect(n).toBe(12);
    expect(buf.toString('hex')).toBe('eeeeeeee' + '8080' + '1234' + 'deadbeef' + '01020304' + 'eeeeeeee');
  });
  it('masks sequence and payload type, keeps uint32 timestamps', () => {
    const buf = Buffer.alloc(12);
    writeRtpHeader(buf, { payloadType: 101, marker: false, sequence: 65536 + 5, timestamp: 2 ** 32 - 1, ssrc: 2 ** 32 - 1 });
    expect(buf.toString('hex')).toBe('80650005ffffffffffffffff');
  });
});

describe('parseRtp', () => {
  it('parses a captured PCMU packet', () => {
    const hex = '8000' + '0001' + '000000a0' + '12345678' + 'ff'.repeat(160);
    const p = parseRtp(Buffer.from(hex, 'hex'));
    expect(p).toMatchObject({ version: 2, marker: false, payloadType: 0, sequence: 1, timestamp: 160, ssrc: 0x12345678, csrcs: [], paddingLength: 0 });
    expect(p.payload.length).toBe(160);
    expect(p.extension).toBeUndefined();
  });
  it('parses CSRC, extension and padding', () => {
    const buf = Buffer.from(
      'b2' + '8d' + 'ffff' + '00000001' + '00000002' + '0000000a' + '0000000b' + 'bede0001' + 'aabbccdd' + '0102' + '000003',
      'hex',
    );
    const p = parseRtp(buf);
    expect(p.marker).toBe(true);
    expect(p.payloadType).toBe(13);
    expect(p.sequence).toBe(65535);
    expect(p.csrcs).toEqual([10, 11]);
    expect(p.extension?.profile).toBe(0xbede);
    expect(p.extension?.data.toString('hex')).toBe('aabbccdd');
    expect(p.paddingLength).toBe(3);
    expect(p.payload.toString('hex')).toBe('0102');
    expect(serializeRtp(p).equals(buf)).toBe(true);
  });
  it.each([
    ['', 'RTP packet too short: 0 bytes, the fixed header needs 12.'],
    ['8000000100000000000000', 'RTP packet too short: 11 bytes, the fixed header needs 12.'],
    ['40000001000000000000000000', 'RTP version 1 is not supported, expected 2.'],
    ['8200000100000000000000000000000a', 'RTP packet too short for its 2 CSRC identifiers: 16 bytes.'],
    ['900000010000000000000000bede', 'RTP packet too short for its header extension: 14 bytes.'],
    ['900000010000000000000000bede000211223344', 'RTP header extension of 2 words overruns the 20-byte packet.'],
    ['a0000001000000000000000000', 'RTP padding count 0 is invalid for a 13-byte packet.'],
    ['a0000001000000000000000005', 'RTP padding count 5 is invalid for a 13-byte packet.'],
  ])('rejects %s', (hex, message) => {
    expect(() => parseRtp(Buffer.from(hex, 'hex'))).toThrow(new RtpParseError(message));
  });
  it('round-trips any valid packet', () => {
    fc.assert(
      fc.property(
        fc.record({
          payloadType: fc.integer({ min: 0, max: 127 }),
          marker: fc.boolean(),
          sequence: fc.integer({ min: 0, max: 65535 }),
          timestamp: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          ssrc: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          csrcs: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 15 }),
          ext: fc.option(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 4 }))),
          paddingLength: fc.integer({ min: 0, max: 255 }),
          payload: fc.uint8Array({ maxLength: 200 }),
        }),
        (r) => {
          const init = {
            ...r,
            payload: Buffer.from(r.payload),
            ...(r.ext ? { extension: { profile: r.ext[0], data: Buffer.alloc(r.ext[1] * 4, 7) } } : {}),
          };
          const bytes = serializeRtp(init);
          const p = parseRtp(bytes);
          expect(p.payload.equals(init.payload)).toBe(true);
          expect([p.payloadType, p.marker, p.sequence, p.timestamp, p.ssrc, p.paddingLength]).toEqual([
            r.payloadType, r.marker, r.sequence, r.timestamp, r.ssrc, r.paddingLength,
          ]);
          expect(p.csrcs).toEqual(r.csrcs);
          expect(serializeRtp(p).equals(bytes)).toBe(true);
        },
      ),
    );
  });
});
