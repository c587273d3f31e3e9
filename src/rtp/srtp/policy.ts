/**
 * What both directions of an SRTP session share: the master key as signalled (SDES gives one per
 * direction), the policy from the session parameters, the transform built from the derived keys,
 * and where the MKI, tag and SRTCP index sit in a packet of that suite.
 */
import { UmphoneError } from '../../util/errors.js';
import { checkMasterKey, deriveSessionKeys } from './kdf.js';
import { DEFAULT_REPLAY_WINDOW } from './replay-window.js';
import { SRTP_SUITES, type SrtpSuite, type SrtpSuiteName } from './suites.js';
import { CmTransform, type SrtpTransform } from './transform.js';
import { GcmTransform } from './transform-gcm.js';

/** One master key as an a=crypto line carries it (RFC 4568 §6.1). */
export interface SrtpMasterKey {
  suite: SrtpSuiteName;
  key: Buffer;
  salt: Buffer;
  /** The MKI value every packet carries (RFC 3711 §3.1), as many octets as the MKI length; none when absent. */
  mki?: Buffer;
}

export interface SrtpPolicy {
  /** false for the UNENCRYPTED_SRTP session parameter (RFC 4568 §6.3.4): authenticated, not encrypted. */
  encryptRtp?: boolean;
  /** false for UNENCRYPTED_SRTCP (RFC 4568 §6.3.3): the sender clears the E flag. */
  encryptRtcp?: boolean;
  /** Replay window in packets (RFC 3711 §3.3.2, at least 64); default 128. */
  replayWindow?: number;
  /** SRTCP tag octets the sender writes under AES_CM_128_HMAC_SHA1_32: 10 (RFC 3711, libsrtp) or 4 (libre). */
  srtcpTag32?: 4 | 10;
  /** How many SSRCs a receiver learns before it refuses new ones; default 16. */
  maxStreams?: number;
}

/** A packet the sender cannot protect (not RTP/RTCP, or the key is used up): a caller's error. */
export class SrtpProtectError extends UmphoneError {
  constructor(message: string) {
    super(message, 'SRTP_PROTECT');
  }
}

/** Why a received packet was dropped; each is counted. */
export type SrtpFailureReason =
  | 'too-short' // shorter than header + tag (+ MKI, + SRTCP index)
  | 'malformed' // not RTP version 2, or a header that runs into the tag
  | 'mki' // an MKI this session does not know
  | 'auth' // the tag does not authenticate the packet
  | 'replay' // an index already received inside the window
  | 'too-old' // an index behind the replay window
  | 'streams'; // a new SSRC beyond maxStreams

export type SrtpResult =
  | { readonly ok: true; readonly packet: Buffer; readonly ssrc: number; readonly index: number }
  | { readonly ok: false; readonly reason: SrtpFailureReason };

export type SrtpCounters = { ok: number } & Record<SrtpFailureReason, number>;

export function newCounters(): SrtpCounters {
  return { ok: 0, 'too-short': 0, malformed: 0, mki: 0, auth: 0, replay: 0, 'too-old': 0, streams: 0 };
}

/** The failure results, made once: a dropped packet allocates nothing. */
export const FAILURE: Readonly<Record<SrtpFailureReason, SrtpResult>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(newCounters()) as (keyof SrtpCounters)[])
      .filter((k): k is SrtpFailureReason => k !== 'ok')
      .map((reason) => [reason, Object.freeze({ ok: false as const, reason })]),
  ) as Record<SrtpFailureReason, SrtpResult>,
);

/** The parts of a keyed session that both directions use. */
export class SrtpKeying {
  readonly suite: SrtpSuite;
  readonly transform: SrtpTransform;
  readonly mki: Buffer;
  readonly encryptRtp: boolean;
  readonly encryptRtcp: boolean;
  readonly replayWindow: number;
  readonly maxStreams: number;
  readonly srtcpTag32: 4 | 10;

  constructor(master: SrtpMasterKey, policy: SrtpPolicy = {}) {
    const suite = SRTP_SUITES[master.suite];
    if (!suite) throw new SrtpProtectError(`Unknown SRTP crypto suite ${String(master.suite)}`);
    checkMasterKey(suite, master.key, master.salt);
    this.suite = suite;
    const keys = deriveSessionKeys(suite, master.key, master.salt);
    this.transform = suite.aead ? new GcmTransform(keys) : new CmTransform(keys);
    this.mki = master.mki ?? Buffer.alloc(0);
    this.encryptRtp = policy.encryptRtp ?? true;
    this.encryptRtcp = policy.encryptRtcp ?? true;
    this.replayWindow = policy.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.maxStreams = policy.maxStreams ?? 16;
    this.srtcpTag32 = policy.srtcpTag32 ?? 10;
  }

  /** SRTCP tag lengths a receiver tries, in order: the suite's, then libre's 4 for the _32 suite. */
  rtcpTagLengths(): readonly number[] {
    return this.suite.name === 'AES_CM_128_HMAC_SHA1_32' ? [10, 4] : [this.suite.rtcpTagLength];
  }

  /** The SRTCP tag length a sender writes. */
  sendRtcpTagLength(): number {
    return this.suite.name === 'AES_CM_128_HMAC_SHA1_32' ? this.srtcpTag32 : this.suite.rtcpTagLength;
  }
}

/**
 * Where the trailer parts of a protected packet of `end` authenticated octets sit. RFC 3711 §3.1 and
 * §3.4: [MKI] then tag after the encrypted portion (and after E||index for SRTCP). RFC 7714 §8.2 and
 * §9.2: the tag is part of the AEAD cipher, so it comes first, then the SRTCP word, then the MKI.
 */
export function trailerLayout(aead: boolean, end: number, tagLength: number, mkiLength: number, rtcp: boolean): { tagAt: number; mkiAt: number; wordAt: number; total: number } {
  const word = rtcp ? 4 : 0;
  if (aead) {
    const tagAt = end;
    const wordAt = tagAt + tagLength;
    const mkiAt = wordAt + word;
    return { tagAt, wordAt, mkiAt, total: mkiAt + mkiLength };
  }
  const wordAt = end;
  const mkiAt = wordAt + word;
  const tagAt = mkiAt + mkiLength;
  return { tagAt, wordAt, mkiAt, total: tagAt + tagLength };
}
