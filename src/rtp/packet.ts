/**
 * RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1, §5.3.1).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { UmphoneError } from '../util/errors.js';

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;

/** Raised for a datagram that is not a well-formed RTP packet; the receiver counts and drops it. */
export class RtpParseError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTP_PARSE');
  }
}

/** The fields the pacer writes for every packet: exactly what `writeRtpHeader` takes. */
export interface RtpHeaderFields {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
}

/** RFC 3550 §5.3.1 header extension: 16 profile-defined bits and a whole number of 32-bit words. */
export interface RtpHeaderExtension {
  profile: number;
  data: Buffer;
}

export interface RtpPacket extends RtpHeaderFields {
  version: number;
  csrcs: number[];
  extension?: RtpHeaderExtension;
  /** Number of padding octets that followed the payload (including the count octet), 0 if none. */
  paddingLength: number;
  /** The payload without padding; a view into the parsed datagram (no copy). */
  payload: Buffer;
}

/**
 * Writes the 12-byte fixed header (no CSRC, no extension, no padding) into `target` at `offset` and
 * returns 12. It allocates nothing: the pacer calls it once per packet per stream on a reused buffer.
 */
export function writeRtpHeader(target: Buffer, h: RtpHeaderFields, offset = 0): number {
  target[offset] = RTP_VERSION << 6;
  target[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  target.writeUInt16BE(h.sequence & 0xffff, offset + 2);
  target.writeUInt32BE(h.timestamp >>> 0, offset + 4);
  target.writeUInt32BE(h.ssrc >>> 0, offset + 8);
  return RTP_HEADER_SIZE;
}

/**
 * Parses one RTP datagram. The checks are those of RFC 3550 Appendix A.1 that need no state: version 2,
 * a length that holds the CSRC list, the extension and the padding it announces. Padding count 0 is
 * invalid (§5.1: the last octet counts itself).
 */
export function parseRtp(buf: Buffer): RtpPacket {
  if (buf.length < RTP_HEADER_SIZE) {
    throw new RtpParseError(`RTP packet too short: ${buf.length} bytes, the fixed header needs 12.`);
  }
  const b0 = buf[0]!;
  const version = b0 >> 6;
  if (version !== RTP_VERSION) {
    throw new RtpParseError(`RTP version ${version} is not supported, expected 2.`);
  }
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf[1]!;
  let offset = RTP_HEADER_SIZE + cc * 4;
  if (buf.length < offset) {
    throw new RtpParseError(`RTP packet too short for its ${cc} CSRC identifiers: ${buf.length} bytes.`);
  }
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(buf.readUInt32BE(RTP_HEADER_SIZE + i * 4));
  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (buf.length < offset + 4) {
      throw new RtpParseError(`RTP packet too short for its header extension: ${buf.length} bytes.`);
    }
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (buf.length < end) {
      throw new RtpParseError(`RTP header extension of ${words} words overruns the ${buf.length}-byte packet.`);
    }
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let end = buf.length;
  let paddingLength = 0;
  if (hasPadding) {
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > buf.length) {
      throw new RtpParseError(`RTP padding count ${paddingLength} is invalid for a ${buf.length}-byte packet.`);
    }
    end -= paddingLength;
  }
  const packet: RtpPacket = {
    version,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    paddingLength,
    payload: buf.subarray(offset, end),
  };
  if (extension) packet.extension = extension;
  return packet;
}

export interface RtpPacketInit extends RtpHeaderFields {
  csrcs?: number[];
  extension?: RtpHeaderExtension;
  /** Total padding octets to append (1..255), the last of which holds the count. */
  paddingLength?: number;
  payload: Buffer;
}

/** Builds a datagram; `serializeRtp(parseRtp(b))` equals `b` for every valid `b`. */
export function serializeRtp(p: RtpPacketInit): Buffer {
  const csrcs = p.csrcs ?? [];
  if (csrcs.length > 15) throw new RtpParseError(`An RTP packet holds at most 15 CSRC identifiers, got ${csrcs.length}.`);
  const pad = p.paddingLength ?? 0;
  if (pad < 0 || pad > 255) throw new RtpParseError(`RTP padding length ${pad} is out of range 0..255.`);
  if (p.extension && p.extension.data.length % 4 !== 0) {
    throw new RtpParseError(`RTP header extension data must be a multiple of 4 bytes, got ${p.extension.data.length}.`);
  }
  const extLen = p.extension ? 4 + p.extension.data.length : 0;
  const size = RTP_HEADER_SIZE + csrcs.length * 4 + extLen + p.payload.length + pad;
  const out = Buffer.alloc(size);
  writeRtpHeader(out, p, 0);
  out[0] = (RTP_VERSION << 6) | (pad > 0 ? 0x20 : 0) | (p.extension ? 0x10 : 0) | csrcs.length;
  let o = RTP_HEADER_SIZE;
  for (const c of csrcs) {
    out.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (p.extension) {
    out.writeUInt16BE(p.extension.profile & 0xffff, o);
    out.writeUInt16BE(p.extension.data.length / 4, o + 2);
    p.extension.data.copy(out, o + 4);
    o += extLen;
  }
  p.payload.copy(out, o);
  if (pad > 0) out[size - 1] = pad;
  return out;
}
