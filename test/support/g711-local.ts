/**
 * A minimal G.711 codec (ITU-T G.711, segment search as in the classic reference code) for the test
 * harness only: it builds pcaps for SIPp and decodes captures, independent of src/media (the code under
 * test must not be checked against itself).
 */

const SEG_U_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SEG_A_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(v: number, table: readonly number[]): number {
  for (let i = 0; i < table.length; i++) if (v <= (table[i] ?? 0)) return i;
  return table.length;
}

/** 16-bit linear sample to a μ-law byte. */
export function linearToUlaw(sample: number): number {
  let v = sample >> 2; // 14-bit magnitude range
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (v > 8159) v = 8159;
  v += 0x21; // bias 0x84 >> 2
  const seg = segment(v, SEG_U_END);
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask) & 0xff;
}

/** 16-bit linear sample to an A-law byte. */
export function linearToAlaw(sample: number): number {
  let v = sample >> 3; // 13-bit
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, SEG_A_END);
  if (seg >= 8) return (0x7f ^ mask) & 0xff;
  let a = seg << 4;
  a |= seg < 2 ? (v >> 1) & 0xf : (v >> seg) & 0xf;
  return (a ^ mask) & 0xff;
}

export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

export function alawToLinear(byte: number): number {
  const a = (byte ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

export type G711Law = 'PCMU' | 'PCMA';

export function encodeG711(pcm: Int16Array, law: G711Law): Buffer {
  const out = Buffer.alloc(pcm.length);
  const enc = law === 'PCMU' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < pcm.length; i++) out[i] = enc(pcm[i] ?? 0);
  return out;
}

export function decodeG711(bytes: Uint8Array, law: G711Law): Int16Array {
  const out = new Int16Array(bytes.length);
  const dec = law === 'PCMU' ? ulawToLinear : alawToLinear;
  for (let i = 0; i < bytes.length; i++) out[i] = dec(bytes[i] ?? 0);
  return out;
}

/** The byte of digital silence: μ-law 0xFF, A-law 0xD5. */
export function g711Silence(law: G711Law): number {
  return law === 'PCMU' ? 0xff : 0xd5;
}
