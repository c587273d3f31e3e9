/**
 * Ethernet frames holding one IPv4 or IPv6 packet with one UDP datagram or TCP segment, as a capture on
 * `lo` shows them: zero MAC addresses, TTL / hop limit 64, IPv4 "don't fragment" and an identification
 * that counts up. Every checksum is right (IPv4 header, RFC 791 §3.1; UDP and TCP over their
 * pseudo-headers, RFC 768, RFC 9293 §3.1, RFC 8200 §8.1), so a reader that validates them finds no error.
 */
import type { IpAddress } from './ip-address.js';

const ETHERNET_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;
const UDP_HEADER = 8;
/** The longest transport header written here: TCP with the MSS option. */
const MAX_TRANSPORT_HEADER = 24;

/** TCP flag bits (RFC 9293 §3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface FrameEnds {
  src: IpAddress;
  dst: IpAddress;
  srcPort: number;
  dstPort: number;
}

export interface TcpSegment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Sent as the MSS option (kind 2), on SYN segments only. */
  mss?: number;
  payload: Buffer;
}

/** One's complement sum of 16-bit big-endian words of `b[start, end)`, added to `sum` (not yet folded). */
function sumWords(b: Buffer, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum (RFC 1071) of a whole buffer. */
export function internetChecksum(b: Buffer): number {
  return fold(sumWords(b, 0, b.length, 0));
}

/** Sum of the pseudo-header the transport checksum covers: addresses, protocol and transport length. */
function pseudoHeaderSum(ends: FrameEnds, protocol: number, length: number): number {
  let sum = sumWords(ends.src.bytes, 0, ends.src.bytes.length, 0);
  sum = sumWords(ends.dst.bytes, 0, ends.dst.bytes.length, sum);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, three zero bytes, next header.
  return sum + protocol + (length & 0xffff) + Math.floor(length / 0x10000);
}

function checkFamilies(ends: FrameEnds): 4 | 6 {
  if (ends.src.family !== ends.dst.family) {
    throw new Error(`cannot write a packet from ${ends.src.text} (IPv${ends.src.family}) to ${ends.dst.text} (IPv${ends.dst.family})`);
  }
  return ends.src.family;
}

function ipHeaderLength(ends: FrameEnds): number {
  return checkFamilies(ends) === 4 ? IPV4_HEADER : IPV6_HEADER;
}

/** Bytes of the Ethernet frame holding a UDP datagram of `payloadLength` bytes between `ends`. */
export function udpFrameLength(ends: FrameEnds, payloadLength: number): number {
  const ipHeader = ipHeaderLength(ends);
  const limit = ipHeader === IPV4_HEADER ? 0xffff - IPV4_HEADER : 0xffff;
  if (UDP_HEADER + payloadLength > limit) throw new RangeError(`${UDP_HEADER + payloadLength} bytes do not fit in one IPv${ends.src.family} packet`);
  return ETHERNET_HEADER + ipHeader + UDP_HEADER + payloadLength;
}

/**
 * Ethernet + IP header around a transport of `transportLength` bytes, written into `frame` from `base`
 * (whose bytes may be anything: every header byte is written or zeroed here); returns the transport's offset.
 */
function writeIpHeader(frame: Buffer, base: number, ends: FrameEnds, protocol: number, transportLength: number, ipId: number): number {
  const family = checkFamilies(ends);
  const ipHeader = family === 4 ? IPV4_HEADER : IPV6_HEADER;
  const limit = family === 4 ? 0xffff - IPV4_HEADER : 0xffff;
  if (transportLength > limit) throw new RangeError(`${transportLength} bytes do not fit in one IPv${family} packet`);
  // Unzeroed memory (this runs for every captured packet) but for the headers, whose every byte not
  // written below must be zero; the payload is copied over the rest.
  frame.fill(0, base, Math.min(base + ETHERNET_HEADER + ipHeader + transportLength, base + ETHERNET_HEADER + ipHeader + MAX_TRANSPORT_HEADER));
  frame.writeUInt16BE(family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, base + 12);
  const ip = base + ETHERNET_HEADER;
  if (family === 4) {
    frame[ip] = 0x45;
    frame.writeUInt16BE(IPV4_HEADER + transportLength, ip + 2);
    frame.writeUInt16BE(ipId & 0xffff, ip + 4);
    frame.writeUInt16BE(0x4000, ip + 6);
    frame[ip + 8] = 64;
    frame[ip + 9] = protocol;
    ends.src.bytes.copy(frame, ip + 12);
    ends.dst.bytes.copy(frame, ip + 16);
    frame.writeUInt16BE(fold(sumWords(frame, ip, ip + IPV4_HEADER, 0)), ip + 10);
  } else {
    frame.writeUInt32BE(0x60000000, ip);
    frame.writeUInt16BE(transportLength, ip + 4);
    frame[ip + 6] = protocol;
    frame[ip + 7] = 64;
    ends.src.bytes.copy(frame, ip + 8);
    ends.dst.bytes.copy(frame, ip + 24);
  }
  return ip + ipHeader;
}

/**
 * An Ethernet frame with one UDP datagram, written into `target` at `base` (udpFrameLength bytes): the
 * capture builds it straight into its write buffer, with no buffer of its own per packet.
 */
export function writeUdpFrame(target: Buffer, base: number, ends: FrameEnds, payload: Buffer, ipId: number): void {
  const length = UDP_HEADER + payload.length;
  const at = writeIpHeader(target, base, ends, PROTOCOL_UDP, length, ipId);
  target.writeUInt16BE(ends.srcPort, at);
  target.writeUInt16BE(ends.dstPort, at + 2);
  target.writeUInt16BE(length, at + 4);
  payload.copy(target, at + UDP_HEADER);
  // RFC 768: a computed checksum of zero is sent as all ones (zero means "none").
  const sum = fold(sumWords(target, at, at + length, pseudoHeaderSum(ends, PROTOCOL_UDP, length)));
  target.writeUInt16BE(sum === 0 ? 0xffff : sum, at + 6);
}

/** An Ethernet frame with one UDP datagram. */
export function udpFrame(ends: FrameEnds, payload: Buffer, ipId: number): Buffer {
  const frame = Buffer.allocUnsafe(udpFrameLength(ends, payload.length));
  writeUdpFrame(frame, 0, ends, payload, ipId);
  return frame;
}

/** An Ethernet frame with one TCP segment (no options but MSS on a SYN). */
export function tcpFrame(ends: FrameEnds, seg: TcpSegment, ipId: number): Buffer {
  const optionsLength = seg.mss !== undefined ? 4 : 0;
  const headerLength = 20 + optionsLength;
  const length = headerLength + seg.payload.length;
  const frame = Buffer.allocUnsafe(ETHERNET_HEADER + ipHeaderLength(ends) + length);
  const at = writeIpHeader(frame, 0, ends, PROTOCOL_TCP, length, ipId);
  frame.writeUInt16BE(ends.srcPort, at);
  frame.writeUInt16BE(ends.dstPort, at + 2);
  frame.writeUInt32BE(seg.seq >>> 0, at + 4);
  frame.writeUInt32BE((seg.flags & TCP_ACK ? seg.ack : 0) >>> 0, at + 8);
  frame[at + 12] = (headerLength / 4) << 4;
  frame[at + 13] = seg.flags;
  frame.writeUInt16BE(seg.window, at + 14);
  if (seg.mss !== undefined) {
    frame[at + 20] = 2;
    frame[at + 21] = 4;
    frame.writeUInt16BE(seg.mss, at + 22);
  }
  seg.payload.copy(frame, at + headerLength);
  frame.writeUInt16BE(fold(sumWords(frame, at, frame.length, pseudoHeaderSum(ends, PROTOCOL_TCP, length))), at + 16);
  return frame;
}
