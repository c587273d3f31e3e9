/**
 * G.711 μ-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8), RFC 3551 §4.5.14.
 *
 * We wrap alawmulaw (the project's chosen implementation) but call it only at module load: a 64 KiB
 * encode table (every Int16 value -> code byte) and a 256-entry decode table per law, then whole
 * frames are a table look-up per sample (several times faster than alawmulaw's array functions).
 *
 * Rounding rule: ITU-T G.191 (the G.711 reference software) is authoritative. alawmulaw's encoder
 * differs from it on exactly 127 negative inputs per law, each an exact tie between two neighbouring
 * codes (alawmulaw takes the magnitude as -x where G.191 takes the one's complement ~x = -x - 1).
 * Both choices are equally close to the input, but a test phone must produce the reference bytes,
 * so after building the table from alawmulaw we overwrite those entries with the G.191 result.
 * alawmulaw's decoders are bit-exact with G.191 and are used as is.
 */
import alawmulaw from 'alawmulaw';

export type G711Name = 'PCMU' | 'PCMA';

export interface G711Codec {
  readonly name: G711Name;
  /** Static RTP payload type (RFC 3551 table 4). */
  readonly payloadType: 0 | 8;
  readonly sampleRate: 8000;
  encode(pcm: Int16Array): Buffer;
  decode(buf: Uint8Array): Int16Array;
  /** The code of a zero sample: what a silent frame is filled with. */
  readonly silenceByte: number;
}

/** G.191 `ulaw_compress` for one 16-bit sample (works on the top 14 bits, bias 33). */
export function ulawEncodeG191(x: number): number {
  // Negative inputs take the one's complement, the G.191 rule for ties.
  let absno = x < 0 ? ((~x) >> 2) + 33 : (x >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const high = 0x8 - segno;
  const low = 0xf - ((absno >> segno) & 0xf);
  let out = (high << 4) | low;
  if (x >= 0) out |= 0x80;
  return out;
}

/** G.191 `alaw_compress` for one 16-bit sample (top 13 bits, even bits inverted with 0x55). */
export function alawEncodeG191(x: number): number {
  let ix = x < 0 ? (~x) >> 4 : x >> 4;
  if (ix > 15) {
    let iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (x >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

interface Tables {
  /** Indexed by (sample + 32768). */
  encode: Uint8Array;
  decode: Int16Array;
  /** Inputs where alawmulaw's encoder gave another byte than G.191 (kept for tests and audit). */
  tiesFixed: number[];
}

function buildTables(
  lib: { encodeSample(s: number): number; decodeSample(b: number): number },
  reference: (x: number) => number,
): Tables {
  const encode = new Uint8Array(65536);
  const tiesFixed: number[] = [];
  for (let x = -32768; x <= 32767; x++) {
    const ours = lib.encodeSample(x) & 0xff; // alawmulaw returns negative numbers: mask
    const ref = reference(x);
    if (ours !== ref) tiesFixed.push(x);
    encode[x + 32768] = ref;
  }
  const decode = new Int16Array(256);
  for (let b = 0; b < 256; b++) decode[b] = lib.decodeSample(b);
  return { encode, decode, tiesFixed };
}

const ULAW = buildTables(alawmulaw.mulaw, ulawEncodeG191);
const ALAW = buildTables(alawmulaw.alaw, alawEncodeG191);

/** Inputs whose table entry was corrected from alawmulaw's output to G.191's (audit/test hook). */
export const g711TiesFixed: { readonly ulaw: readonly number[]; readonly alaw: readonly number[] } = {
  ulaw: ULAW.tiesFixed,
  alaw: ALAW.tiesFixed,
};

function encodeWith(table: Uint8Array, pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[pcm[i]! + 32768]!;
  return out;
}

function decodeWith(table: Int16Array, buf: Uint8Array): Int16Array {
  const out = new Int16Array(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = table[buf[i]!]!;
  return out;
}

export function encodeUlaw(pcm: Int16Array): Buffer {
  return encodeWith(ULAW.encode, pcm);
}
export function decodeUlaw(buf: Uint8Array): Int16Array {
  return decodeWith(ULAW.decode, buf);
}
export function encodeAlaw(pcm: Int16Array): Buffer {
  return encodeWith(ALAW.encode, pcm);
}
export function decodeAlaw(buf: Uint8Array): Int16Array {
  return decodeWith(ALAW.decode, buf);
}

/** One sample, for callers that work sample by sample (e.g. tone generators). */
export function ulawEncodeSample(x: number): number {
  return ULAW.encode[(x | 0) + 32768]!;
}
export function ulawDecodeSample(b: number): number {
  return ULAW.decode[b & 0xff]!;
}
export function alawEncodeSample(x: number): number {
  return ALAW.encode[(x | 0) + 32768]!;
}
export function alawDecodeSample(b: number): number {
  return ALAW.decode[b & 0xff]!;
}

const PCMU: G711Codec = Object.freeze({
  name: 'PCMU',
  payloadType: 0,
  sampleRate: 8000,
  encode: encodeUlaw,
  decode: decodeUlaw,
  silenceByte: 0xff,
});

const PCMA: G711Codec = Object.freeze({
  name: 'PCMA',
  payloadType: 8,
  sampleRate: 8000,
  encode: encodeAlaw,
  decode: decodeAlaw,
  silenceByte: 0xd5,
});

/** The codec for an SDP rtpmap encoding name (RFC 3551 §4.5.14); names are case-insensitive there. */
export function codecFor(name: G711Name): G711Codec {
  return name === 'PCMU' ? PCMU : PCMA;
}
