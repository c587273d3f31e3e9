/**
 * The classic libpcap file format (the one tcpdump -w writes, and the only one SIPp's play_pcap_audio and
 * every Wireshark since 1998 read): a 24-byte global header, then per packet a 16-byte record header and
 * the frame. Our choices: little-endian, microsecond timestamps (magic 0xa1b2c3d4), link type Ethernet
 * with zero MAC addresses — what tcpdump writes on `lo`, so Wireshark and tshark dissect our files exactly
 * like a capture taken on loopback, with no settings, and SIPp replays them.
 */

/** Link-layer header type 1 (LINKTYPE_ETHERNET in the tcpdump.org registry). */
export const LINKTYPE_ETHERNET = 1;
/** Magic of a little-endian file with microsecond timestamps. */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** tcpdump's default snapshot length: every frame we write fits whole. */
export const DEFAULT_SNAPLEN = 262_144;

/** The global header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type. */
export function encodePcapGlobalHeader(snaplen = DEFAULT_SNAPLEN, linkType = LINKTYPE_ETHERNET): Buffer {
  const b = Buffer.alloc(PCAP_GLOBAL_HEADER_LENGTH);
  b.writeUInt32LE(PCAP_MAGIC_MICROSECONDS, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(snaplen >>> 0, 16);
  b.writeUInt32LE(linkType >>> 0, 20);
  return b;
}

/**
 * Seconds and microseconds of a wall-clock time in milliseconds since the epoch (fractional milliseconds
 * keep their microseconds). Rounding happens once, on the total, so 999.9996 ms never becomes
 * "0 s + 1 000 000 µs".
 */
export function splitTimestamp(wallMs: number): { seconds: number; microseconds: number } {
  if (!Number.isFinite(wallMs) || wallMs < 0) throw new RangeError(`pcap timestamp ${wallMs} ms is not a time after 1970`);
  const totalUs = Math.round(wallMs * 1000);
  const seconds = Math.floor(totalUs / 1e6);
  return { seconds, microseconds: totalUs - seconds * 1e6 };
}

/**
 * One record: header (ts_sec, ts_usec, incl_len, orig_len) and the frame, cut to `snaplen` as a capture
 * would be (incl_len < orig_len tells readers the frame was longer).
 */
export function encodePcapRecord(wallMs: number, frame: Buffer, snaplen = DEFAULT_SNAPLEN): Buffer {
  const { seconds, microseconds } = splitTimestamp(wallMs);
  const included = Math.min(frame.length, snaplen);
  // Every byte is written below: no need to zero it first (this runs for every captured packet).
  const b = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LENGTH + included);
  b.writeUInt32LE(seconds >>> 0, 0);
  b.writeUInt32LE(microseconds, 4);
  b.writeUInt32LE(included, 8);
  b.writeUInt32LE(frame.length, 12);
  frame.copy(b, PCAP_RECORD_HEADER_LENGTH, 0, included);
  return b;
}

/** A whole file in memory, for small fixtures (SIPp's play_pcap_audio input): header plus records. */
export function encodePcapFile(records: readonly { wallMs: number; frame: Buffer }[], snaplen = DEFAULT_SNAPLEN): Buffer {
  return Buffer.concat([encodePcapGlobalHeader(snaplen), ...records.map((r) => encodePcapRecord(r.wallMs, r.frame, snaplen))]);
}
