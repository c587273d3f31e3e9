/**
 * SRTP key derivation (RFC 3711 §4.3) with key_derivation_rate 0, the only rate SDES uses by default
 * (RFC 4568 §6.3.2): each session key is the AES-CM keystream of the master key from the IV
 * (master_salt XOR (label << 48)) * 2^16, since r = index DIV 0 is defined as 0 (§4.3.1).
 */
import { createCipheriv } from 'node:crypto';
import { UmphoneError } from '../../util/errors.js';
import type { SrtpSuite } from './suites.js';

/** Master key or salt of the wrong length for the suite, or a key the caller cannot use. */
export class SrtpKeyError extends UmphoneError {
  constructor(message: string) {
    super(message, 'SRTP_KEY');
  }
}

/** §4.3.2: the labels of the six session keys. */
export const SRTP_LABEL = {
  rtpEncryption: 0x00,
  rtpAuth: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuth: 0x04,
  rtcpSalt: 0x05,
} as const;

export interface SessionKeys {
  encryptionKey: Buffer;
  /** HMAC-SHA1 key; empty for AEAD suites. */
  authKey: Buffer;
  salt: Buffer;
}

export interface DerivedKeys {
  rtp: SessionKeys;
  rtcp: SessionKeys;
}

/** `length` octets of AES-CM keystream under `key` from the 16-byte counter block `iv` (§4.1.1). */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  const cipher = createCipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/**
 * PRF_n(k_master, x) of §4.3.3 for one label. The 112-bit x is the master salt XOR label || r, so the
 * label lands in octet 7; a 96-bit AEAD salt (RFC 7714 §11) is padded on the right with zero octets,
 * as libsrtp and libre do.
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, Math.min(14, masterSalt.length));
  iv[7] ^= label;
  return aesCmKeystream(masterKey, iv, length);
}

/** Checks the master key and salt lengths against the suite (RFC 4568 §6.1: key||salt of fixed size). */
export function checkMasterKey(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer): void {
  if (masterKey.length !== suite.keyLength) {
    throw new SrtpKeyError(`${suite.name} needs a ${suite.keyLength}-byte master key, got ${masterKey.length} bytes`);
  }
  if (masterSalt.length !== suite.saltLength) {
    throw new SrtpKeyError(`${suite.name} needs a ${suite.saltLength}-byte master salt, got ${masterSalt.length} bytes`);
  }
}

/** The SRTP and SRTCP session keys of one master key (§4.3.1 with kdr 0: derived once, at start). */
export function deriveSessionKeys(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer): DerivedKeys {
  checkMasterKey(suite, masterKey, masterSalt);
  const keys = (enc: number, auth: number, salt: number): SessionKeys => ({
    encryptionKey: deriveSessionKey(masterKey, masterSalt, enc, suite.keyLength),
    authKey: suite.authKeyLength > 0 ? deriveSessionKey(masterKey, masterSalt, auth, suite.authKeyLength) : Buffer.alloc(0),
    salt: deriveSessionKey(masterKey, masterSalt, salt, suite.saltLength),
  });
  return {
    rtp: keys(SRTP_LABEL.rtpEncryption, SRTP_LABEL.rtpAuth, SRTP_LABEL.rtpSalt),
    rtcp: keys(SRTP_LABEL.rtcpEncryption, SRTP_LABEL.rtcpAuth, SRTP_LABEL.rtcpSalt),
  };
}
