/**
 * The SRTP crypto suites umphone speaks, with the lengths each one fixes: RFC 4568 §6.2 for the two
 * AES-CM/HMAC-SHA1 suites SDES names, RFC 7714 §14.1 for AEAD_AES_128_GCM. Every suite here has a
 * 128-bit master key and key_derivation_rate 0 (the SDES default, RFC 4568 §6.3.2).
 */

export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM';

export interface SrtpSuite {
  name: SrtpSuiteName;
  /** AES-GCM (RFC 7714): the tag comes out of the cipher and there is no separate auth key. */
  aead: boolean;
  /** Octets of master key; the session encryption key has the same length. */
  keyLength: number;
  /** Octets of master salt (RFC 3711 §8.2: 112 bits; RFC 7714 §12: 96 bits); session salt likewise. */
  saltLength: number;
  /** Octets of the HMAC-SHA1 session key (RFC 3711 §8.2: 160 bits); 0 for AEAD. */
  authKeyLength: number;
  /** Octets of the SRTP authentication tag. */
  rtpTagLength: number;
  /**
   * Octets of the SRTCP authentication tag. RFC 4568 §6.2.2 only says the _32 suite's tag is 32
   * bits; RFC 3711 §8.2 keeps SRTCP at 80 bits and RFC 5764 §4.1.2 says so for the _32 profile,
   * which libsrtp follows. libre (baresip) uses 32 bits for both, so the receiver accepts either
   * and the sender can be told to send 4 (SrtpOptions.srtcpTag32).
   */
  rtcpTagLength: number;
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = {
  AES_CM_128_HMAC_SHA1_80: {
    name: 'AES_CM_128_HMAC_SHA1_80',
    aead: false,
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  AES_CM_128_HMAC_SHA1_32: {
    name: 'AES_CM_128_HMAC_SHA1_32',
    aead: false,
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 4,
    rtcpTagLength: 10,
  },
  AEAD_AES_128_GCM: {
    name: 'AEAD_AES_128_GCM',
    aead: true,
    keyLength: 16,
    saltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
};

/** Suite names in umphone's order of preference for an offer. */
export const SRTP_SUITE_NAMES: readonly SrtpSuiteName[] = [
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
  'AEAD_AES_128_GCM',
];

/**
 * The suite of that name, or undefined. RFC 4568 §9.1 writes the names as ABNF quoted strings, which
 * match case-insensitively (RFC 5234 §2.3), so `aes_cm_128_hmac_sha1_80` is the same suite.
 */
export function srtpSuite(name: string): SrtpSuite | undefined {
  const upper = name.toUpperCase();
  return Object.prototype.hasOwnProperty.call(SRTP_SUITES, upper) ? SRTP_SUITES[upper as SrtpSuiteName] : undefined;
}
