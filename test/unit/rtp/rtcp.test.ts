import { describe, expect, it } from 'vitest';
import {
  RtcpParseError,
  cnameOf,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  roundTripMs,
  serializeRtcpCompound,
} from '../../../src/rtp/rtcp.js';
import type { RtcpPacket } from '../../../src/rtp/rtcp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const rr: RtcpPacket = {
  type: 'rr',
  ssrc: 0x11223344,
  reports: [{ ssrc: 0xaabbccdd, fractionLost: 0x40, cumulativeLost: 5, highestSeq: 0x00010005, jitter: 30, lsr: 0x12345678, dlsr: 0x18000 }],
};
const sdes: RtcpPacket = { type: 'sdes', chunks: [{ ssrc: 0x11223344, items: [{ type: 1, text: 'ab' }] }] };
const bye: RtcpPacket = { type: 'bye', ssrcs: [0x11223344], reason: 'bye' };
const rrBytes = '81c90007 11223344 aabbccdd 40000005 00010005 0000001e 12345678 00018000';
const sdesBytes = '81ca0003 11223344 01026162 00000000';
const byeBytes = '81cb0002 11223344 03627965';

describe('RTCP compound packets', () => {
  it('RR + SDES + BYE serialize to the exact bytes and parse back', () => {
    const bytes = serializeRtcpCompound([rr, sdes, bye]);
    expect(bytes.toString('hex')).toBe(hex(rrBytes + sdesBytes + byeBytes).toString('hex'));
    expect(parseRtcpCompound(bytes)).toEqual([rr, sdes, bye]);
  });

  it('SR with sender info and a negative cumulative lost', () => {
    const sr: RtcpPacket = {
      type: 'sr',
      ssrc: 1,
      sender: { ntpSeconds: 0xe8fe6f80, ntpFraction: 0x80000000, rtpTimestamp: 160, packetCount: 2, octetCount: 320 },
      reports: [{ ssrc: 2, fractionLost: 0, cumulativeLost: -1, highestSeq: 7, jitter: 0, lsr: 0, dlsr: 0 }],
    };
    const bytes = serializeRtcpCompound([sr]);
    expect(bytes.toString('hex')).toBe(
      hex('81c8000c 00000001 e8fe6f80 80000000 000000a0 00000002 00000140 00000002 00ffffff 00000007 00000000 00000000 00000000').toString('hex'),
    );
    expect(parseRtcpCompound(bytes)).toEqual([sr]);
  });

  it('SDES chunk of a length that is a multiple of 4 gets four null octets', () => {
    const p: RtcpPacket = { type: 'sdes', chunks: [{ ssrc: 9, items: [{ type: 1, text: 'abcdef' }] }] };
    expect(serializeRtcpCompound([p]).toString('hex')).toBe('81ca0004' + '00000009' + '0106616263646566' + '00000000');
    expect(cnameOf(parseRtcpCompound(serializeRtcpCompound([p]))[0]!)).toBe('abcdef');
  });

  it('BYE without reason, and unknown packet types (APP) kept as other', () => {
    const app: RtcpPacket = { type: 'other', packetType: 204, count: 3, body: hex('00000001 6e616d65') };
    const bytes = serializeRtcpCompound([{ type: 'rr', ssrc: 1, reports: [] }, { type: 'bye', ssrcs: [1, 2] }, app]);
    expect(bytes.toString('hex')).toBe('80c9000100000001' + '82cb00020000000100000002' + '83cc0002000000016e616d65');
    expect(parseRtcpCompound(bytes)).toEqual([{ type: 'rr', ssrc: 1, reports: [] }, { type: 'bye', ssrcs: [1, 2] }, app]);
  });

  it('padding on the last packet is removed', () => {
    const bytes = hex('80c90001 00000001 a1cb0002 00000005 00000004');
    expect(parseRtcpCompound(bytes)).toEqual([{ type: 'rr', ssrc: 1, reports: [] }, { type: 'bye', ssrcs: [5] }]);
  });

  it.each([
    ['81c9', 'RTCP packet too short: 2 bytes.'],
    ['41c9000100000001', 'RTCP version 1 at offset 0 is not supported, expected 2.'],
    ['81c9000200000001', 'RTCP packet at offset 0 claims 12 bytes, only 8 remain.'],
    ['80c900010000000100', 'RTCP compound packet has 1 trailing bytes.'],
    ['81c9000100000001', 'RTCP RR of 8 bytes is too short for 1 report blocks.'],
    ['a0c9000100000001 81cb000100000001', 'RTCP padding at offset 0 is only allowed on the last packet.'],
    ['81ca000200000001 01050000', 'RTCP SDES item overruns the packet.'],
    ['81cb000200000001 05000000', 'RTCP BYE reason overruns the packet.'],
  ])('rejects %s', (h, message) => {
    expect(() => parseRtcpCompound(hex(h))).toThrow(new RtcpParseError(message));
  });
});

describe('NTP time and round trip', () => {
  it('converts the Unix epoch offset and fractions', () => {
    expect(ntpFromUnixMs(1_700_000_000_500)).toEqual({ seconds: 0xe8fe6f80, fraction: 0x80000000 });
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    expect(ntpMiddle32(0xe8fe6f80, 0x80000000)).toBe(0x6f808000);
  });
  it('RTT = A − LSR − DLSR (RFC 3550 §6.4.1 example)', () => {
    // The RFC's example: A = 0xb710:8000 (46864.5 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.25 s) → 6.125 s.
    expect(roundTripMs(0xb7108000, 0xb7052000, 0x00054000)).toBe(6125);
    expect(roundTripMs(0xb7108000, 0, 0)).toBeUndefined();
  });
});
