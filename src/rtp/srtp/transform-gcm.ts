/**
 * AEAD_AES_128_GCM for SRTP and SRTCP (RFC 7714 §8–§9). node:crypto takes the IV only when a GCM
 * cipher is created, so each packet costs one createCipheriv: the one allocation here that node
 * forces. Decryption goes to node's own output buffer and is copied into the packet only after
 * `final()` has verified the tag, so an inauthentic packet is never decrypted into the caller's data.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { DerivedKeys, SessionKeys } from './kdf.js';
import type { SrtpTransform } from './transform.js';

const ALGORITHM = 'aes-128-gcm';

export class GcmTransform implements SrtpTransform {
  private readonly rtp: SessionKeys;
  private readonly rtcp: SessionKeys;
  private readonly iv = Buffer.alloc(12);

  constructor(keys: DerivedKeys) {
    this.rtp = keys.rtp;
    this.rtcp = keys.rtcp;
  }

  /** §8.2: AAD is the header (the whole packet when not encrypting, §8.3); the tag follows the cipher. */
  protectRtp(buf: Buffer, headerLength: number, end: number, ssrc: number, index: number, encrypt: boolean, tagAt: number, tagLength: number): void {
    const iv = this.rtpIv(ssrc, index);
    const cipher = createCipheriv(ALGORITHM, this.rtp.encryptionKey, iv, { authTagLength: tagLength });
    if (encrypt) {
      cipher.setAAD(buf.subarray(0, headerLength));
      cipher.update(buf.subarray(headerLength, end)).copy(buf, headerLength);
    } else {
      cipher.setAAD(buf.subarray(0, end));
    }
    cipher.final();
    cipher.getAuthTag().copy(buf, tagAt);
  }

  unprotectRtp(buf: Buffer, headerLength: number, end: number, ssrc: number, index: number, encrypted: boolean, tagAt: number, tagLength: number): boolean {
    const iv = this.rtpIv(ssrc, index);
    return encrypted
      ? this.open(this.rtp.encryptionKey, iv, buf.subarray(0, headerLength), buf, headerLength, end, buf.subarray(tagAt, tagAt + tagLength))
      : this.open(this.rtp.encryptionKey, iv, buf.subarray(0, end), buf, end, end, buf.subarray(tagAt, tagAt + tagLength));
  }

  /** §9.2: AAD = first 8 octets || E||index word when encrypting; §9.3: the whole packet || word when not. */
  protectRtcp(buf: Buffer, end: number, ssrc: number, index: number, encrypt: boolean, wordAt: number, tagAt: number, tagLength: number): void {
    const iv = this.rtcpIv(ssrc, index);
    const cipher = createCipheriv(ALGORITHM, this.rtcp.encryptionKey, iv, { authTagLength: tagLength });
    const word = buf.subarray(wordAt, wordAt + 4);
    if (encrypt) {
      cipher.setAAD(Buffer.concat([buf.subarray(0, 8), word]));
      cipher.update(buf.subarray(8, end)).copy(buf, 8);
    } else {
      cipher.setAAD(Buffer.concat([buf.subarray(0, end), word]));
    }
    cipher.final();
    cipher.getAuthTag().copy(buf, tagAt);
  }

  unprotectRtcp(buf: Buffer, end: number, ssrc: number, index: number, encrypted: boolean, wordAt: number, tagAt: number, tagLength: number): boolean {
    const iv = this.rtcpIv(ssrc, index);
    const word = buf.subarray(wordAt, wordAt + 4);
    const tag = buf.subarray(tagAt, tagAt + tagLength);
    return encrypted
      ? this.open(this.rtcp.encryptionKey, iv, Buffer.concat([buf.subarray(0, 8), word]), buf, 8, end, tag)
      : this.open(this.rtcp.encryptionKey, iv, Buffer.concat([buf.subarray(0, end), word]), buf, end, end, tag);
  }

  /** Decrypts buf[start, end) and verifies `tag`; writes the plaintext back only when authentic. */
  private open(key: Buffer, iv: Buffer, aad: Buffer, buf: Buffer, start: number, end: number, tag: Buffer): boolean {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: tag.length });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plain = start < end ? decipher.update(buf.subarray(start, end)) : undefined;
    try {
      decipher.final();
    } catch {
      return false;
    }
    plain?.copy(buf, start);
    return true;
  }

  /** §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt. */
  private rtpIv(ssrc: number, index: number): Buffer {
    const iv = this.iv;
    iv.fill(0);
    iv.writeUInt32BE(ssrc >>> 0, 2);
    iv.writeUInt32BE(Math.floor(index / 0x10000) >>> 0, 6);
    iv.writeUInt16BE(index % 0x10000, 10);
    return xorInto(iv, this.rtp.salt);
  }

  /** §9.1: IV = (00 00 || SSRC || 00 00 || 0 || 31-bit SRTCP index) XOR salt. */
  private rtcpIv(ssrc: number, index: number): Buffer {
    const iv = this.iv;
    iv.fill(0);
    iv.writeUInt32BE(ssrc >>> 0, 2);
    iv.writeUInt32BE(index & 0x7fffffff, 8);
    return xorInto(iv, this.rtcp.salt);
  }
}

function xorInto(iv: Buffer, salt: Buffer): Buffer {
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}
