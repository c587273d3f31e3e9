/**
 * HMAC-SHA1 (RFC 2104, FIPS 180-4) for the SRTP authentication tag (RFC 3711 §4.2.1), keyed once per
 * session key. node:crypto's createHmac costs a new object, a key setup (two compressions) and a
 * digest Buffer per packet, about 3 µs for a 176-byte packet here; this keeps the inner and outer
 * states of the keyed pads and hashes packet || ROC straight from the packet with no copy and no
 * allocation (about 1 µs). The test suite checks it against node:crypto's createHmac for every length.
 */

const W = new Int32Array(80);
const SHA1_IV = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

/** One SHA-1 compression of the 64-byte block at buf[off] into state (FIPS 180-4 §6.1.2). */
function compress(state: Int32Array, buf: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const p = off + 4 * i;
    W[i] = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!;
  let t: number;
  for (let i = 0; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (let i = 20; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (let i = 40; i < 60; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + W[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (let i = 60; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + W[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly state = new Int32Array(5);
  private readonly tail = Buffer.alloc(128);
  private readonly digest = Buffer.alloc(20);

  constructor(key: Buffer) {
    if (key.length > 64) throw new RangeError('HMAC-SHA1 keys longer than 64 bytes are not used by SRTP');
    const pad = Buffer.alloc(64);
    for (const [state, byte] of [[this.inner, 0x36], [this.outer, 0x5c]] as const) {
      pad.fill(byte);
      for (let i = 0; i < key.length; i++) pad[i] ^= key[i]!;
      state.set(SHA1_IV);
      compress(state, pad, 0);
    }
  }

  /**
   * HMAC over data[start, end) followed, when `trailer` is given, by its 4 octets big-endian (the
   * ROC of §4.2: M = Authenticated Portion || ROC). The full 20-byte MAC is returned in a buffer
   * this object reuses: read it before the next call.
   */
  mac(data: Buffer, start: number, end: number, trailer?: number): Buffer {
    const st = this.state;
    st.set(this.inner);
    let off = start;
    for (; off + 64 <= end; off += 64) compress(st, data, off);
    const tail = this.tail;
    tail.fill(0);
    let n = end - off;
    data.copy(tail, 0, off, end);
    if (trailer !== undefined) {
      tail.writeUInt32BE(trailer >>> 0, n);
      n += 4;
    }
    const messageBytes = end - start + (trailer !== undefined ? 4 : 0) + 64;
    tail[n] = 0x80;
    const last = n + 1 + 8 <= 64 ? 0 : 64;
    writeBitLength(tail, last + 56, messageBytes);
    compress(st, tail, 0);
    if (last) compress(st, tail, 64);
    for (let i = 0; i < 5; i++) this.digest.writeInt32BE(st[i]!, i * 4);

    st.set(this.outer);
    tail.fill(0, 0, 64);
    this.digest.copy(tail, 0);
    tail[20] = 0x80;
    writeBitLength(tail, 56, 64 + 20);
    compress(st, tail, 0);
    for (let i = 0; i < 5; i++) this.digest.writeInt32BE(st[i]!, i * 4);
    return this.digest;
  }

  /** Writes the first `tagLength` octets of the MAC into out at outOffset. */
  sign(data: Buffer, start: number, end: number, trailer: number | undefined, out: Buffer, outOffset: number, tagLength: number): void {
    this.mac(data, start, end, trailer).copy(out, outOffset, 0, tagLength);
  }

  /** True when tag[tagOffset, +tagLength) is the truncated MAC; compares every octet whatever differs. */
  verify(data: Buffer, start: number, end: number, trailer: number | undefined, tag: Buffer, tagOffset: number, tagLength: number): boolean {
    const mac = this.mac(data, start, end, trailer);
    let diff = 0;
    for (let i = 0; i < tagLength; i++) diff |= mac[i]! ^ tag[tagOffset + i]!;
    return diff === 0;
  }
}

/** The 64-bit big-endian message length in bits at buf[at, at+8). */
function writeBitLength(buf: Buffer, at: number, bytes: number): void {
  const bits = bytes * 8;
  buf.writeUInt32BE(Math.floor(bits / 0x100000000), at);
  buf.writeUInt32BE(bits >>> 0, at + 4);
}
