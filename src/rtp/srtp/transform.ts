/**
 * What a crypto transform does to one packet once the sender or receiver (srtp-sender.ts, srtp-receiver.ts) has found where its parts
 * lie: encrypt or decrypt a byte range in place, write or check a tag. Layout, indices, replay and
 * counting stay in the session; RFC 3711 (AES-CM + HMAC-SHA1) and RFC 7714 (AES-GCM) each implement
 * this once.
 */
import { AesCounterMode } from './aes-cm.js';
import { HmacSha1 } from './hmac-sha1.js';
import type { DerivedKeys, SessionKeys } from './kdf.js';

export interface SrtpTransform {
  /**
   * RTP: encrypts buf[headerLength, end) in place when `encrypt`, then writes the tag at `tagAt`
   * (its length is the suite's). `index` is the 48-bit packet index.
   */
  protectRtp(buf: Buffer, headerLength: number, end: number, ssrc: number, index: number, encrypt: boolean, tagAt: number, tagLength: number): void;
  /**
   * RTP: true when the tag at `tagAt` authenticates buf[0, end); only then is buf[headerLength, end)
   * decrypted in place. A false leaves the buffer as it came.
   */
  unprotectRtp(buf: Buffer, headerLength: number, end: number, ssrc: number, index: number, encrypted: boolean, tagAt: number, tagLength: number): boolean;
  /**
   * RTCP: buf[0, end) is the compound packet; the E||index word is already at `wordAt`. Encrypts
   * buf[8, end) when `encrypt` and writes the tag at `tagAt`.
   */
  protectRtcp(buf: Buffer, end: number, ssrc: number, index: number, encrypt: boolean, wordAt: number, tagAt: number, tagLength: number): void;
  /** RTCP: verifies, then decrypts buf[8, end) in place when authentic and `encrypted`. */
  unprotectRtcp(buf: Buffer, end: number, ssrc: number, index: number, encrypted: boolean, wordAt: number, tagAt: number, tagLength: number): boolean;
}

/** Per-direction keys of one AES-CM/HMAC-SHA1 stream: one AES cipher and one keyed HMAC each. */
class CmKeys {
  readonly aes: AesCounterMode;
  readonly hmac: HmacSha1;
  readonly salt: Buffer;
  constructor(keys: SessionKeys) {
    this.aes = new AesCounterMode(keys.encryptionKey);
    this.hmac = new HmacSha1(keys.authKey);
    this.salt = keys.salt;
  }
}

/** RFC 3711: AES-CM encryption (§4.1.1) and HMAC-SHA1 authentication (§4.2.1). */
export class CmTransform implements SrtpTransform {
  private readonly rtp: CmKeys;
  private readonly rtcp: CmKeys;
  private readonly iv = Buffer.alloc(16);

  constructor(keys: DerivedKeys) {
    this.rtp = new CmKeys(keys.rtp);
    this.rtcp = new CmKeys(keys.rtcp);
  }

  protectRtp(buf: Buffer, headerLength: number, end: number, ssrc: number, index: number, encrypt: boolean, tagAt: number, tagLength: number): void {
    if (encrypt) this.rtp.aes.apply(buf, headerLength, end, this.counterIv(this.rtp.salt, ssrc, index));
    // §4.2: M = Authenticated Portion || ROC, the ROC being the upper 32 bits of the index.
    this.rtp.hmac.sign(buf, 0, end, Math.floor(index / 0x10000) >>> 0, buf, tagAt, tagLength);
  }

  unprotectRtp(buf: Buffer, headerLength: number, end: number, ssrc: number, index: number, encrypted: boolean, tagAt: number, tagLength: number): boolean {
    if (!this.rtp.hmac.verify(buf, 0, end, Math.floor(index / 0x10000) >>> 0, buf, tagAt, tagLength)) return false;
    if (encrypted) this.rtp.aes.apply(buf, headerLength, end, this.counterIv(this.rtp.salt, ssrc, index));
    return true;
  }

  protectRtcp(buf: Buffer, end: number, ssrc: number, index: number, encrypt: boolean, wordAt: number, tagAt: number, tagLength: number): void {
    if (encrypt) this.rtcp.aes.apply(buf, 8, end, this.counterIv(this.rtcp.salt, ssrc, index));
    // §3.4: the authenticated portion runs through the E||SRTCP index word.
    this.rtcp.hmac.sign(buf, 0, wordAt + 4, undefined, buf, tagAt, tagLength);
  }

  unprotectRtcp(buf: Buffer, end: number, ssrc: number, index: number, encrypted: boolean, wordAt: number, tagAt: number, tagLength: number): boolean {
    if (!this.rtcp.hmac.verify(buf, 0, wordAt + 4, undefined, buf, tagAt, tagLength)) return false;
    if (encrypted) this.rtcp.aes.apply(buf, 8, end, this.counterIv(this.rtcp.salt, ssrc, index));
    return true;
  }

  /** §4.1.1: IV = (k_s × 2^16) XOR (SSRC × 2^64) XOR (i × 2^16), in a buffer reused per packet. */
  private counterIv(salt: Buffer, ssrc: number, index: number): Buffer {
    const iv = this.iv;
    iv.fill(0);
    salt.copy(iv, 0, 0, 14);
    iv[4]! ^= (ssrc >>> 24) & 0xff;
    iv[5]! ^= (ssrc >>> 16) & 0xff;
    iv[6]! ^= (ssrc >>> 8) & 0xff;
    iv[7]! ^= ssrc & 0xff;
    const high = Math.floor(index / 0x100000000);
    const low = index >>> 0;
    iv[8]! ^= (high >>> 8) & 0xff;
    iv[9]! ^= high & 0xff;
    iv[10]! ^= (low >>> 24) & 0xff;
    iv[11]! ^= (low >>> 16) & 0xff;
    iv[12]! ^= (low >>> 8) & 0xff;
    iv[13]! ^= low & 0xff;
    return iv;
  }
}
