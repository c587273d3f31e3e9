/**
 * The SRTP packet index i = 2^16 × ROC + SEQ (RFC 3711 §3.3.1) as a receiver estimates it from the
 * 16-bit sequence number, and the SRTCP index word (§3.4). Indices are 48-bit and kept as plain
 * numbers: exact up to 2^53.
 */

export const SEQ_MODULUS = 0x10000;
/** 2^31 − 1: the SRTCP index is 31 bits (§3.4) and must not wrap under one master key (§9.2). */
export const MAX_SRTCP_INDEX = 0x7fffffff;
/** 2^48: the SRTP index is 48 bits (§3.3.1). */
export const MAX_SRTP_INDEX = 2 ** 48;

/**
 * Appendix A: the index of a packet with sequence number `seq`, given the highest sequence number
 * `sl` seen so far and the current `roc`. The guess v is ROC − 1, ROC or ROC + 1, whichever puts
 * the packet nearest to s_l. A result below 0 means "before the first packet of the stream".
 */
export function estimateIndex(seq: number, sl: number, roc: number): number {
  let v = roc;
  if (sl < 0x8000) {
    if (seq - sl > 0x8000) v = roc - 1;
  } else if (sl - 0x8000 > seq) {
    v = roc + 1;
  }
  return v * SEQ_MODULUS + seq;
}

/** The ROC part of an index (v of Appendix A). */
export function rocOf(index: number): number {
  return Math.floor(index / SEQ_MODULUS);
}

/** The 32-bit word after an SRTCP payload: the E flag (encrypted) and the 31-bit index (§3.4). */
export function srtcpWord(encrypted: boolean, index: number): number {
  return ((encrypted ? 0x80000000 : 0) | (index & MAX_SRTCP_INDEX)) >>> 0;
}

/** Splits an SRTCP E||index word. */
export function parseSrtcpWord(word: number): { encrypted: boolean; index: number } {
  return { encrypted: (word & 0x80000000) !== 0, index: word & MAX_SRTCP_INDEX };
}

/** Where the RTP header ends (fixed header, CSRCs, extension), or -1 if the packet is shorter. */
export function rtpHeaderLength(packet: Buffer, length = packet.length): number {
  if (length < 12) return -1;
  let n = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (length < n + 4) return -1;
    n += 4 + packet.readUInt16BE(n + 2) * 4;
  }
  return n <= length ? n : -1;
}
