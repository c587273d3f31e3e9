/**
 * A small libpcap file writer and reader for the RTP pacing benchmark.
 *
 * Writer: SIPp's `play_pcap_audio` replays a classic pcap (Ethernet link type, IPv4/UDP) paced by the
 * record timestamps and keeps the RTP headers as written; only addresses and ports are rewritten. So a
 * file of G.711 packets 20 ms apart is SIPp's reference stream.
 *
 * Reader: tcpdump's `-w` output on `lo` (Ethernet link type, zero MACs) in microsecond or nanosecond
 * precision, either byte order; also Linux cooked (SLL, SLL2) and raw IP, in case. Only IPv4/UDP is
 * returned; a visitor callback keeps memory flat for captures of a million packets.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface UdpRecord {
  /** Capture time in microseconds (fractional with nanosecond captures), absolute as recorded. */
  timeUs: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload as captured (may be truncated by the snap length). */
  payload: Buffer;
}

const LINK_ETHERNET = 1;
const LINK_RAW = 101;
const LINK_SLL = 113;
const LINK_SLL2 = 276;

function ipChecksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Writes UDP datagrams 127.0.0.1 → 127.0.0.1 as an Ethernet pcap with microsecond timestamps. */
export function writeUdpPcap(path: string, records: readonly UdpRecord[]): void {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(LINK_ETHERNET, 20);
  parts.push(head);
  let id = 0;
  for (const r of records) {
    const frame = Buffer.alloc(14 + 20 + 8 + r.payload.length);
    frame.writeUInt16BE(0x0800, 12); // EtherType IPv4
    const ip = frame.subarray(14, 34);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + r.payload.length, 2);
    ip.writeUInt16BE(id++ & 0xffff, 4);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    frame.writeUInt16BE(r.srcPort, 34);
    frame.writeUInt16BE(r.dstPort, 36);
    frame.writeUInt16BE(8 + r.payload.length, 38); // checksum 0: none (RFC 768, IPv4)
    r.payload.copy(frame, 42);
    const rec = Buffer.alloc(16);
    const us = Math.round(r.timeUs);
    rec.writeUInt32LE(Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(us % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  writeFileSync(path, Buffer.concat(parts));
}

export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

/** Calls `visit` for every IPv4/UDP packet of a pcap file, in file order. Returns the record count. */
export function readUdpPcap(path: string, visit: (r: UdpRecord) => void): number {
  const buf = readFileSync(path);
  if (buf.length < 24) throw new PcapFormatError(`${path}: ${buf.length} bytes is too short for a pcap header.`);
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
      throw new PcapFormatError(`${path}: magic 0x${magicLE.toString(16)} is not a pcap file.`);
    }
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20) & 0xffff;
  let count = 0;
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const start = off + 16;
    off = start + incl;
    if (off > buf.length) break; // a capture cut short by a kill
    count++;
    let ip: number;
    if (link === LINK_ETHERNET) {
      if (buf.readUInt16BE(start + 12) !== 0x0800) continue;
      ip = start + 14;
    } else if (link === LINK_SLL) {
      if (buf.readUInt16BE(start + 14) !== 0x0800) continue;
      ip = start + 16;
    } else if (link === LINK_SLL2) {
      if (buf.readUInt16BE(start) !== 0x0800) continue;
      ip = start + 20;
    } else if (link === LINK_RAW) {
      ip = start;
    } else {
      throw new PcapFormatError(`${path}: link type ${link} is not supported.`);
    }
    if (ip + 28 > off || buf[ip]! >> 4 !== 4 || buf[ip + 9] !== 17) continue;
    const udp = ip + (buf[ip]! & 0x0f) * 4;
    if (udp + 8 > off) continue;
    visit({
      timeUs: sec * 1e6 + (nano ? frac / 1000 : frac),
      srcPort: buf.readUInt16BE(udp),
      dstPort: buf.readUInt16BE(udp + 2),
      payload: buf.subarray(udp + 8, off),
    });
  }
  return count;
}
