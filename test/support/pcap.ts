/**
 * pcap files for interop tests.
 *
 * Writing: SIPp's `play_pcap_audio` replays the UDP payloads of a pcap (classic libpcap format, Ethernet
 * link type, IPv4/UDP), paced by the packets' timestamps, keeping the RTP header as written (sequence,
 * timestamp, SSRC) and rewriting only addresses and ports. So the RTP we put here is exactly what the
 * stack under test receives. SIPp's own `play_dtmf` is broken in 3.6.1 (docs/peers.md), hence
 * writeRfc4733Pcap with correct RFC 4733 events.
 *
 * Reading: readPcap() handles tcpdump's captures: microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d)
 * magic in either byte order; link types Ethernet (1; what tcpdump writes on `lo`), Linux cooked SLL (113)
 * and SLL2 (276), BSD loopback (0) and raw IP (101).
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { spawnTracked, pollUntil, type TrackedChild } from './child-process.js';
import { encodeG711, g711Silence, type G711Law } from './g711-local.js';
import { parseIpAddress } from '../../src/capture/ip-address.js';
import { udpFrame } from '../../src/capture/ip-frames.js';
import { encodePcapFile } from '../../src/capture/pcap-format.js';

export interface PcapUdpPacket {
  /** Capture time in microseconds from the start of the file. */
  timeUs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** A fixed, plausible epoch so the capture reads sensibly in tshark. */
const BASE_MS = 1_700_000_000_000;

/**
 * Write UDP packets (127.0.0.1 → 127.0.0.1) as an Ethernet pcap with microsecond timestamps, through the
 * phone's own pcap encoding (src/capture): one format and one frame builder for the project.
 */
export function writeUdpPcap(path: string, packets: readonly PcapUdpPacket[]): void {
  const lo = parseIpAddress('127.0.0.1');
  const records = packets.map((p, i) => ({
    wallMs: BASE_MS + p.timeUs / 1000,
    frame: udpFrame({ src: lo, dst: lo, srcPort: p.srcPort, dstPort: p.dstPort }, p.payload, i + 1),
  }));
  writeFileSync(path, encodePcapFile(records));
}

export interface RtpFields {
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  marker?: boolean;
  payload: Buffer;
}

/** An RTP packet (RFC 3550 §5.1): version 2, no padding, no extension, no CSRC. */
export function buildRtp(f: RtpFields): Buffer {
  const b = Buffer.alloc(12 + f.payload.length);
  b[0] = 0x80;
  b[1] = (f.marker ? 0x80 : 0) | (f.pt & 0x7f);
  b.writeUInt16BE(f.seq & 0xffff, 2);
  b.writeUInt32BE(f.ts >>> 0, 4);
  b.writeUInt32BE(f.ssrc >>> 0, 8);
  f.payload.copy(b, 12);
  return b;
}

export interface RtpParsed {
  version: number;
  padding: boolean;
  marker: boolean;
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
}

/** Parse an RTP packet (skips CSRCs and a header extension, strips padding); undefined if not RTP v2. */
export function parseRtp(b: Buffer): RtpParsed | undefined {
  if (b.length < 12 || (b[0] ?? 0) >> 6 !== 2) return undefined;
  const b0 = b[0] ?? 0;
  const cc = b0 & 0x0f;
  let off = 12 + 4 * cc;
  if (b0 & 0x10) {
    if (b.length < off + 4) return undefined;
    off += 4 + 4 * b.readUInt16BE(off + 2);
  }
  let end = b.length;
  const padding = (b0 & 0x20) !== 0;
  if (padding) end -= b[b.length - 1] ?? 0;
  if (off > end) return undefined;
  return {
    version: 2,
    padding,
    marker: ((b[1] ?? 0) & 0x80) !== 0,
    pt: (b[1] ?? 0) & 0x7f,
    seq: b.readUInt16BE(2),
    ts: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(off, end),
  };
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

/** The RFC 4733 §2.3 payload: event (8 bits), E, R, volume (6 bits), duration (16 bits). */
export function parseTelephoneEvent(p: Buffer): TelephoneEvent | undefined {
  if (p.length < 4) return undefined;
  return { event: p[0] ?? 0, end: ((p[1] ?? 0) & 0x80) !== 0, volume: (p[1] ?? 0) & 0x3f, duration: p.readUInt16BE(2) };
}

const EVENT_CODES = '0123456789*#ABCD';

/** RFC 4733 §3.2 event code of a DTMF digit (0-9, *, #, A-D). */
export function dtmfEventCode(digit: string): number {
  const i = EVENT_CODES.indexOf(digit.toUpperCase());
  if (i < 0) throw new Error(`Not a DTMF digit: '${digit}'.`);
  return i;
}

export function dtmfDigit(event: number): string {
  return EVENT_CODES[event] ?? '?';
}

export interface G711PcapOptions {
  law?: G711Law;
  ssrc?: number;
  startSeq?: number;
  startTs?: number;
  /** Samples per packet (default 160 = 20 ms at 8 kHz). */
  samplesPerPacket?: number;
  /** UDP ports written in the pcap (SIPp rewrites them). */
  srcPort?: number;
  dstPort?: number;
}

/** RTP packets of G.711 audio, 20 ms apart, marker bit on the first (RFC 3551 §4.1: start of talkspurt). */
export function g711RtpPackets(pcm8k: Int16Array, opts: G711PcapOptions = {}): PcapUdpPacket[] {
  const law = opts.law ?? 'PCMU';
  const spp = opts.samplesPerPacket ?? 160;
  const ssrc = opts.ssrc ?? 0x11223344;
  const seq0 = opts.startSeq ?? 1000;
  const ts0 = opts.startTs ?? 16000;
  const bytes = encodeG711(pcm8k, law);
  const out: PcapUdpPacket[] = [];
  const n = Math.ceil(bytes.length / spp);
  for (let k = 0; k < n; k++) {
    const payload = Buffer.alloc(spp, g711Silence(law));
    bytes.copy(payload, 0, k * spp, Math.min(bytes.length, (k + 1) * spp));
    out.push({
      timeUs: (k * spp * 1e6) / 8000,
      srcPort: opts.srcPort ?? 6000,
      dstPort: opts.dstPort ?? 7000,
      payload: buildRtp({ pt: law === 'PCMU' ? 0 : 8, seq: seq0 + k, ts: ts0 + k * spp, ssrc, marker: k === 0, payload }),
    });
  }
  return out;
}

/** A pcap of G.711 audio for SIPp's play_pcap_audio (PCMU pt 0 or PCMA pt 8, 20 ms packets). */
export function writeG711Pcap(path: string, pcm8k: Int16Array, opts: G711PcapOptions = {}): number {
  const pkts = g711RtpPackets(pcm8k, opts);
  writeUdpPcap(path, pkts);
  return pkts.length;
}

export interface Rfc4733PcapOptions {
  /** Payload type negotiated for telephone-event (default 101). */
  pt?: number;
  /** Length of each digit (default 100 ms), rounded up to whole 20 ms packets. */
  durationMs?: number;
  /** Audio filler between the end of one digit and the start of the next (default 70 ms, rounded up). */
  gapMs?: number;
  /** Audio filler before the first digit and after the last (default 200 ms each). */
  leadMs?: number;
  trailMs?: number;
  /** RFC 4733 §2.3.4 volume, 0..63 meaning 0..-63 dBm0 (default 10). */
  volume?: number;
  /** Codec of the filler packets (default PCMU); filler is digital silence. */
  law?: G711Law;
  ssrc?: number;
  startSeq?: number;
  startTs?: number;
}

/**
 * RTP packets sending `digits` as RFC 4733 telephone events inside an otherwise continuous G.711 stream.
 * Per digit (RFC 4733 §2.5.1): all packets carry the event's start timestamp; the first has the marker
 * bit; the duration grows by 160 per 20 ms packet; the final packet has the E bit and is sent three times
 * (§2.5.1.4) with the same duration and timestamp and fresh sequence numbers. Sequence numbers are
 * continuous over audio and events; audio timestamps follow wall time (160 per 20 ms).
 */
export function rfc4733RtpPackets(digits: string, opts: Rfc4733PcapOptions = {}): PcapUdpPacket[] {
  const pt = opts.pt ?? 101;
  const law = opts.law ?? 'PCMU';
  const perDigit = Math.max(1, Math.ceil((opts.durationMs ?? 100) / 20));
  const gap = Math.max(0, Math.ceil((opts.gapMs ?? 70) / 20));
  const lead = Math.max(0, Math.ceil((opts.leadMs ?? 200) / 20));
  const trail = Math.max(0, Math.ceil((opts.trailMs ?? 200) / 20));
  const volume = (opts.volume ?? 10) & 0x3f;
  const ssrc = opts.ssrc ?? 0x55667788;
  const seq0 = opts.startSeq ?? 2000;
  const ts0 = opts.startTs ?? 32000;
  const out: PcapUdpPacket[] = [];
  let slot = 0; // 20 ms slot index: wall time
  let seq = seq0;
  const push = (ptype: number, ts: number, marker: boolean, payload: Buffer): void => {
    out.push({
      timeUs: slot * 20000,
      srcPort: 6000,
      dstPort: 7000,
      payload: buildRtp({ pt: ptype, seq: seq++, ts, ssrc, marker, payload }),
    });
    slot++;
  };
  let firstAudio = true;
  const audio = (count: number): void => {
    for (let i = 0; i < count; i++) {
      push(law === 'PCMU' ? 0 : 8, ts0 + slot * 160, firstAudio, Buffer.alloc(160, g711Silence(law)));
      firstAudio = false;
    }
  };
  audio(lead);
  [...digits].forEach((d, idx) => {
    if (idx > 0) audio(gap);
    const code = dtmfEventCode(d);
    const eventTs = ts0 + slot * 160;
    for (let i = 0; i < perDigit; i++) {
      const last = i === perDigit - 1;
      const duration = (i + 1) * 160;
      const copies = last ? 3 : 1;
      for (let c = 0; c < copies; c++) {
        const p = Buffer.alloc(4);
        p[0] = code;
        p[1] = (last ? 0x80 : 0) | volume;
        p.writeUInt16BE(duration, 2);
        push(pt, eventTs, i === 0 && c === 0, p);
      }
    }
  });
  audio(trail);
  return out;
}

/** A pcap of RFC 4733 digits (with silent G.711 filler) for SIPp's play_pcap_audio. */
export function writeRfc4733Pcap(path: string, digits: string, opts: Rfc4733PcapOptions = {}): number {
  const pkts = rfc4733RtpPackets(digits, opts);
  writeUdpPcap(path, pkts);
  return pkts.length;
}

export interface PcapPacket {
  /** Capture time in microseconds since the epoch (fractional for nanosecond files). */
  timeUs: number;
  linkType: number;
  /** The whole captured frame. */
  frame: Buffer;
  /** Set for IPv4/IPv6 UDP packets. */
  udp?: { srcIp: string; dstIp: string; srcPort: number; dstPort: number; payload: Buffer };
}

/** Read a classic libpcap file (as written by tcpdump -w or writeUdpPcap). */
export function readPcap(path: string): PcapPacket[] {
  const buf = readFileSync(path);
  if (buf.length < 24) throw new Error(`Not a pcap file (too short): ${path}`);
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
      throw new Error(`Not a pcap file (magic 0x${magicLE.toString(16)}; pcapng is not supported): ${path}`);
    }
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const out: PcapPacket[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const timeUs = sec * 1e6 + (nano ? frac / 1000 : frac);
    const pkt: PcapPacket = { timeUs, linkType, frame };
    const udp = decodeUdp(frame, linkType);
    if (udp) pkt.udp = udp;
    out.push(pkt);
  }
  return out;
}

function networkLayer(frame: Buffer, linkType: number): { etherType: number; offset: number } | undefined {
  switch (linkType) {
    case 1: {
      // Ethernet, possibly with 802.1Q tags
      let off = 12;
      let type = frame.readUInt16BE(off);
      while (type === 0x8100 || type === 0x88a8) {
        off += 4;
        type = frame.readUInt16BE(off);
      }
      return { etherType: type, offset: off + 2 };
    }
    case 113: // Linux cooked v1: 16-byte header, protocol at 14
      return { etherType: frame.readUInt16BE(14), offset: 16 };
    case 276: // Linux cooked v2: 20-byte header, protocol at 0
      return { etherType: frame.readUInt16BE(0), offset: 20 };
    case 0: {
      // BSD loopback: 4-byte address family in host order
      const fam = frame.readUInt32LE(0) || frame.readUInt32BE(0);
      return { etherType: fam === 2 ? 0x0800 : 0x86dd, offset: 4 };
    }
    case 101:
    case 12:
      return { etherType: ((frame[0] ?? 0) >> 4) === 6 ? 0x86dd : 0x0800, offset: 0 };
    default:
      return undefined;
  }
}

function decodeUdp(frame: Buffer, linkType: number): PcapPacket['udp'] {
  try {
    const nl = networkLayer(frame, linkType);
    if (!nl) return undefined;
    let off = nl.offset;
    let srcIp: string;
    let dstIp: string;
    if (nl.etherType === 0x0800) {
      const ihl = ((frame[off] ?? 0) & 0x0f) * 4;
      if (frame[off + 9] !== 17) return undefined;
      srcIp = [...frame.subarray(off + 12, off + 16)].join('.');
      dstIp = [...frame.subarray(off + 16, off + 20)].join('.');
      off += ihl;
    } else if (nl.etherType === 0x86dd) {
      if (frame[off + 6] !== 17) return undefined; // no extension headers expected on lo
      const hex = (o: number): string =>
        Array.from({ length: 8 }, (_, i) => frame.readUInt16BE(o + 2 * i).toString(16)).join(':');
      srcIp = hex(off + 8);
      dstIp = hex(off + 24);
      off += 40;
    } else {
      return undefined;
    }
    const len = frame.readUInt16BE(off + 4);
    return {
      srcIp,
      dstIp,
      srcPort: frame.readUInt16BE(off),
      dstPort: frame.readUInt16BE(off + 2),
      payload: frame.subarray(off + 8, Math.min(frame.length, off + len)),
    };
  } catch {
    return undefined; // truncated frame
  }
}

export interface Capture {
  readonly path: string;
  readonly child: TrackedChild;
  /** Stop tcpdump (flushing the file) and read what it captured. */
  stop(): Promise<PcapPacket[]>;
}

/**
 * Capture on `lo` with tcpdump into `path` (packet-buffered, -U), e.g. filter 'udp port 23456'.
 * Resolves once tcpdump says it is listening.
 */
export async function startCapture(path: string, filter: string): Promise<Capture> {
  const child = spawnTracked('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-Z', 'root', '-s', '0', '-w', path, filter]);
  await pollUntil(
    'tcpdump to listen',
    () => child.hasExited() || /listening on/.test(child.stderr()),
    5000,
  );
  if (child.hasExited()) throw new Error(`tcpdump failed: ${child.stderr()}`);
  return {
    path,
    child,
    stop: async () => {
      if (!child.hasExited()) {
        child.proc.kill('SIGINT');
        await child.exited;
      }
      return readPcap(path);
    },
  };
}
