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
import { readFileSync } from 'node:fs';

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

/** Writing pcaps is shared with the interop tests (SIPp replays them): one writer for both. */
export { writeUdpPcap } from '../../test/support/pcap.js';

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
