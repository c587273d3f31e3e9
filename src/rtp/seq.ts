/**
 * Serial number arithmetic (RFC 1982) for the 16-bit RTP sequence number and the 32-bit RTP timestamp
 * (RFC 3550 §5.1): both wrap, so "newer" means "ahead by less than half the number space".
 */

/** a − b in uint16 space, as a signed number in [-32768, 32767]: positive when a is newer than b. */
export function seqDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}

/** True when sequence number a is strictly newer than b (RFC 1982 §3.2 with wrap at 65536). */
export function seqNewer(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** sequence + n modulo 65536 (n may be negative). */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) & 0xffff;
}

/** a − b in uint32 space, as a signed number in [-2^31, 2^31 − 1]: positive when a is later than b. */
export function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** True when timestamp a is strictly later than b in uint32 serial arithmetic. */
export function tsNewer(a: number, b: number): boolean {
  return tsDiff(a, b) > 0;
}

/** timestamp + n modulo 2^32, as an unsigned number. */
export function tsAdd(ts: number, n: number): number {
  return (ts + n) >>> 0;
}

/**
 * Extends a 16-bit sequence number to a monotonic counter, given the last extended value seen
 * (cycles × 65536 + seq, RFC 3550 §6.4.1 "extended highest sequence number"): the result is the
 * extended number closest to `reference`.
 */
export function extendSeq(seq: number, reference: number): number {
  const refLow = reference & 0xffff;
  return reference + seqDiff(seq, refLow);
}
