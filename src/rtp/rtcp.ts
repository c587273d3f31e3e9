/**
 * RTCP packets of RFC 3550 §6.4–6.6: SR, RR (with report blocks), SDES (CNAME), BYE, built and parsed
 * as compound packets (§6.1), plus NTP timestamps (§4) and the round-trip time of §6.4.1.
 */
import { UmphoneError } from '../util/errors.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** SDES item types (§6.5). */
export const SDES_CNAME = 1;

export class RtcpParseError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTCP_PARSE');
  }
}

/** §6.4.1 report block, 24 octets. */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point number with the point at the left (0..255). */
  fractionLost: number;
  /** Cumulative number of packets lost, a signed 24-bit number (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received: cycles in the high 16 bits. */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none. */
  lsr: number;
  /** Delay since that SR in units of 1/65536 s, 0 if none. */
  dlsr: number;
}

/** §6.4.1 sender info, 20 octets. */
export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface SdesItem {
  type: number;
  text: string;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: { ssrc: number; items: SdesItem[] }[] }
  | { type: 'bye'; ssrcs: number[]; reason?: string }
  | { type: 'other'; packetType: number; count: number; body: Buffer };

/** Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** §4: 64-bit NTP timestamp of a wall-clock time in Unix milliseconds (from Clock.wallNow()). */
export function ntpFromUnixMs(ms: number): { seconds: number; fraction: number } {
  const whole = Math.floor(ms / 1000);
  const rest = ms - whole * 1000;
  const fraction = Math.min(0xffffffff, Math.floor((rest / 1000) * 2 ** 32));
  return { seconds: (whole + NTP_UNIX_OFFSET) >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (§6.4.1 LSR, and the unit of round-trip arithmetic). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/**
 * §6.4.1: round-trip time = A − LSR − DLSR, all in 1/65536 s, where A is when the report block
 * arrived. Returns milliseconds, or undefined when the peer has not received an SR from us (LSR 0).
 */
export function roundTripMs(arrivalMiddle32: number, lsr: number, dlsr: number): number | undefined {
  if (lsr === 0) return undefined;
  const rtt = (arrivalMiddle32 - lsr - dlsr) | 0;
  if (rtt < 0) return 0;
  return (rtt / 65536) * 1000;
}

function writeHeader(out: Buffer, o: number, count: number, pt: number, totalBytes: number): void {
  out[o] = 0x80 | (count & 0x1f);
  out[o + 1] = pt;
  // §6.4.1: length in 32-bit words minus one, including the header.
  out.writeUInt16BE(totalBytes / 4 - 1, o + 2);
}

function writeReportBlock(out: Buffer, o: number, r: ReportBlock): void {
  out.writeUInt32BE(r.ssrc >>> 0, o);
  out[o + 4] = r.fractionLost & 0xff;
  const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost));
  out.writeUIntBE(lost & 0xffffff, o + 5, 3);
  out.writeUInt32BE(r.highestSeq >>> 0, o + 8);
  out.writeUInt32BE(r.jitter >>> 0, o + 12);
  out.writeUInt32BE(r.lsr >>> 0, o + 16);
  out.writeUInt32BE(r.dlsr >>> 0, o + 20);
}

function readReportBlock(b: Buffer, o: number): ReportBlock {
  const raw = b.readUIntBE(o + 5, 3);
  return {
    ssrc: b.readUInt32BE(o),
    fractionLost: b[o + 4]!,
    cumulativeLost: raw & 0x800000 ? raw - 0x1000000 : raw,
    highestSeq: b.readUInt32BE(o + 8),
    jitter: b.readUInt32BE(o + 12),
    lsr: b.readUInt32BE(o + 16),
    dlsr: b.readUInt32BE(o + 20),
  };
}

/** One RTCP packet. Throws if it cannot be encoded (more than 31 report blocks, chunks or SSRCs). */
export function serializeRtcpPacket(p: RtcpPacket): Buffer {
  switch (p.type) {
    case 'sr':
    case 'rr': {
      if (p.reports.length > 31) throw new RtcpParseError(`An RTCP report holds at most 31 blocks, got ${p.reports.length}.`);
      const head = p.type === 'sr' ? 28 : 8;
      const out = Buffer.alloc(head + 24 * p.reports.length);
      writeHeader(out, 0, p.reports.length, p.type === 'sr' ? RTCP_SR : RTCP_RR, out.length);
      out.writeUInt32BE(p.ssrc >>> 0, 4);
      if (p.type === 'sr') {
        out.writeUInt32BE(p.sender.ntpSeconds >>> 0, 8);
        out.writeUInt32BE(p.sender.ntpFraction >>> 0, 12);
        out.writeUInt32BE(p.sender.rtpTimestamp >>> 0, 16);
        out.writeUInt32BE(p.sender.packetCount >>> 0, 20);
        out.writeUInt32BE(p.sender.octetCount >>> 0, 24);
      }
      p.reports.forEach((r, i) => writeReportBlock(out, head + 24 * i, r));
      return out;
    }
    case 'sdes': {
      if (p.chunks.length > 31) throw new RtcpParseError(`An SDES packet holds at most 31 chunks, got ${p.chunks.length}.`);
      const parts: Buffer[] = [];
      for (const c of p.chunks) {
        const items = c.items.map((it) => {
          const text = Buffer.from(it.text, 'utf8');
          if (text.length > 255) throw new RtcpParseError(`An SDES item holds at most 255 octets, got ${text.length}.`);
          return Buffer.concat([Buffer.from([it.type, text.length]), text]);
        });
        const body = Buffer.concat(items);
        // §6.5: the item list ends with at least one null octet, padded to a 32-bit boundary.
        const len = 4 + body.length;
        const padded = len + (4 - (len % 4));
        const chunk = Buffer.alloc(padded);
        chunk.writeUInt32BE(c.ssrc >>> 0, 0);
        body.copy(chunk, 4);
        parts.push(chunk);
      }
      const body = Buffer.concat(parts);
      const out = Buffer.alloc(4 + body.length);
      writeHeader(out, 0, p.chunks.length, RTCP_SDES, out.length);
      body.copy(out, 4);
      return out;
    }
    case 'bye': {
      if (p.ssrcs.length > 31) throw new RtcpParseError(`A BYE packet holds at most 31 SSRCs, got ${p.ssrcs.length}.`);
      const reason = p.reason !== undefined ? Buffer.from(p.reason, 'utf8').subarray(0, 255) : undefined;
      let len = 4 + 4 * p.ssrcs.length;
      if (reason) len += Math.ceil((1 + reason.length) / 4) * 4;
      const out = Buffer.alloc(len);
      writeHeader(out, 0, p.ssrcs.length, RTCP_BYE, len);
      p.ssrcs.forEach((s, i) => out.writeUInt32BE(s >>> 0, 4 + 4 * i));
      if (reason) {
        const o = 4 + 4 * p.ssrcs.length;
        out[o] = reason.length;
        reason.copy(out, o + 1);
      }
      return out;
    }
    case 'other': {
      if (p.body.length % 4 !== 0) throw new RtcpParseError(`An RTCP packet body must be a multiple of 4 octets, got ${p.body.length}.`);
      const out = Buffer.alloc(4 + p.body.length);
      writeHeader(out, 0, p.count, p.packetType, out.length);
      p.body.copy(out, 4);
      return out;
    }
  }
}

/** §6.1 compound packet: the packets back to back. */
export function serializeRtcpCompound(packets: RtcpPacket[]): Buffer {
  return Buffer.concat(packets.map(serializeRtcpPacket));
}

/**
 * Parses a compound RTCP datagram. Checks of Appendix A.2: version 2 everywhere, lengths that add up
 * to the datagram, padding only on the last packet. Unknown packet types (APP, RTPFB, XR) come back
 * as `other` rather than failing the whole datagram.
 */
export function parseRtcpCompound(buf: Buffer): RtcpPacket[] {
  if (buf.length < 4) throw new RtcpParseError(`RTCP packet too short: ${buf.length} bytes.`);
  const out: RtcpPacket[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < 4) throw new RtcpParseError(`RTCP compound packet has ${buf.length - o} trailing bytes.`);
    const b0 = buf[o]!;
    if (b0 >> 6 !== 2) throw new RtcpParseError(`RTCP version ${b0 >> 6} at offset ${o} is not supported, expected 2.`);
    const padding = (b0 & 0x20) !== 0;
    const count = b0 & 0x1f;
    const pt = buf[o + 1]!;
    const len = (buf.readUInt16BE(o + 2) + 1) * 4;
    if (o + len > buf.length) {
      throw new RtcpParseError(`RTCP packet at offset ${o} claims ${len} bytes, only ${buf.length - o} remain.`);
    }
    let end = o + len;
    if (padding) {
      if (end !== buf.length) throw new RtcpParseError(`RTCP padding at offset ${o} is only allowed on the last packet.`);
      const n = buf[end - 1]!;
      if (n === 0 || n > len - 4) throw new RtcpParseError(`RTCP padding count ${n} is invalid.`);
      end -= n;
    }
    out.push(parseOne(buf.subarray(o, end), pt, count));
    o += len;
  }
  return out;
}

function parseOne(p: Buffer, pt: number, count: number): RtcpPacket {
  switch (pt) {
    case RTCP_SR:
    case RTCP_RR: {
      const head = pt === RTCP_SR ? 28 : 8;
      if (p.length < head + 24 * count) {
        throw new RtcpParseError(`RTCP ${pt === RTCP_SR ? 'SR' : 'RR'} of ${p.length} bytes is too short for ${count} report blocks.`);
      }
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(p, head + 24 * i));
      const ssrc = p.readUInt32BE(4);
      if (pt === RTCP_RR) return { type: 'rr', ssrc, reports };
      return {
        type: 'sr',
        ssrc,
        sender: {
          ntpSeconds: p.readUInt32BE(8),
          ntpFraction: p.readUInt32BE(12),
          rtpTimestamp: p.readUInt32BE(16),
          packetCount: p.readUInt32BE(20),
          octetCount: p.readUInt32BE(24),
        },
        reports,
      };
    }
    case RTCP_SDES: {
      const chunks: { ssrc: number; items: SdesItem[] }[] = [];
      let o = 4;
      for (let c = 0; c < count; c++) {
        if (o + 4 > p.length) throw new RtcpParseError(`RTCP SDES is too short for ${count} chunks.`);
        const ssrc = p.readUInt32BE(o);
        o += 4;
        const items: SdesItem[] = [];
        for (;;) {
          if (o >= p.length) throw new RtcpParseError('RTCP SDES chunk has no terminating null item.');
          const type = p[o]!;
          if (type === 0) break;
          if (o + 2 > p.length) throw new RtcpParseError('RTCP SDES item overruns the packet.');
          const n = p[o + 1]!;
          if (o + 2 + n > p.length) throw new RtcpParseError('RTCP SDES item overruns the packet.');
          items.push({ type, text: p.toString('utf8', o + 2, o + 2 + n) });
          o += 2 + n;
        }
        // Skip the null terminator and padding up to the next 32-bit boundary.
        o = (Math.floor(o / 4) + 1) * 4;
        chunks.push({ ssrc, items });
      }
      return { type: 'sdes', chunks };
    }
    case RTCP_BYE: {
      if (p.length < 4 + 4 * count) throw new RtcpParseError(`RTCP BYE is too short for ${count} SSRCs.`);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(p.readUInt32BE(4 + 4 * i));
      const o = 4 + 4 * count;
      if (o < p.length) {
        const n = p[o]!;
        if (o + 1 + n > p.length) throw new RtcpParseError('RTCP BYE reason overruns the packet.');
        return { type: 'bye', ssrcs, reason: p.toString('utf8', o + 1, o + 1 + n) };
      }
      return { type: 'bye', ssrcs };
    }
    default:
      return { type: 'other', packetType: pt, count, body: Buffer.from(p.subarray(4)) };
  }
}

/** The CNAME of an SDES chunk, if any. */
export function cnameOf(p: RtcpPacket, ssrc?: number): string | undefined {
  if (p.type !== 'sdes') return undefined;
  for (const c of p.chunks) {
    if (ssrc !== undefined && c.ssrc !== ssrc) continue;
    const item = c.items.find((i) => i.type === SDES_CNAME);
    if (item) return item.text;
  }
  return undefined;
}
