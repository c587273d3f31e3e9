/**
 * AES in counter mode as SRTP uses it (RFC 3711 §4.1.1): keystream block i is AES_k(IV + i), XORed
 * into the data. node:crypto cannot change the IV of an existing cipher, and a `createCipheriv` per
 * packet costs a key schedule and a context each time, so this keeps one AES-ECB cipher per session
 * key and encrypts the counter blocks through it: same keystream, one cipher object for the call.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

export const AES_BLOCK = 16;

export class AesCounterMode {
  private readonly ecb: Cipher;
  private counters: Buffer = Buffer.alloc(AES_BLOCK * 16);

  constructor(key: Buffer) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    }
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    this.ecb.setAutoPadding(false);
  }

  /**
   * XORs the keystream that starts at counter block `iv` (16 bytes) into data[start, end), in place.
   * Encryption and decryption are the same operation.
   */
  apply(data: Buffer, start: number, end: number, iv: Buffer): void {
    const length = end - start;
    if (length <= 0) return;
    const blocks = Math.ceil(length / AES_BLOCK);
    const keystream = this.keystream(iv, blocks);
    for (let i = 0; i < length; i++) data[start + i] ^= keystream[i]!;
  }

  /** `blocks` keystream blocks from counter `iv` (a fresh Buffer that node:crypto allocates). */
  keystream(iv: Buffer, blocks: number): Buffer {
    const size = blocks * AES_BLOCK;
    if (this.counters.length < size) this.counters = Buffer.alloc(Math.max(size, this.counters.length * 2));
    const c = this.counters;
    // Element writes, not Buffer.copy: a native call per 16-byte block costs more than the bytes.
    for (let b = 0; b < blocks; b++) {
      const o = b * AES_BLOCK;
      for (let i = 0; i < AES_BLOCK; i++) c[o + i] = iv[i]!;
      if (b !== 0) addToCounter(c, o, b);
    }
    return this.ecb.update(c.subarray(0, size));
  }
}

/** Adds n to the 128-bit big-endian counter at c[o, o+16), modulo 2^128. */
function addToCounter(c: Buffer, o: number, n: number): void {
  let carry = n;
  for (let i = o + AES_BLOCK - 1; i >= o && carry !== 0; i--) {
    const sum = c[i]! + (carry & 0xff);
    c[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
}
