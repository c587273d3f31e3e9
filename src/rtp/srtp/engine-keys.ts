/**
 * The keys the native I/O thread needs to run SRTP itself (src/rtp/native/srtp.cc): JavaScript keeps the
 * SDES side and the key derivation (kdf.ts), and hands the thread each direction's session keys, MKI and
 * policy. The thread keeps ROCs, SRTCP indices and replay windows, as SrtpSender and SrtpReceiver do.
 */
import { deriveSessionKeys, type SessionKeys } from './kdf.js';
import { SrtpProtectError, type SrtpMasterKey, type SrtpPolicy } from './policy.js';
import { DEFAULT_REPLAY_WINDOW } from './replay-window.js';
import { SRTP_SUITES, type SrtpSuiteName } from './suites.js';

/** The suites' numbers on the native side (srtp.h, SrtpSuite). */
const SUITE_NUMBER: Readonly<Record<SrtpSuiteName, 0 | 1 | 2>> = {
  AES_CM_128_HMAC_SHA1_80: 0,
  AES_CM_128_HMAC_SHA1_32: 1,
  AEAD_AES_128_GCM: 2,
};

export interface EngineSrtpKeys {
  encryption: Buffer;
  /** Empty for AEAD. */
  auth: Buffer;
  salt: Buffer;
}

export interface EngineSrtpDirection {
  rtp: EngineSrtpKeys;
  rtcp: EngineSrtpKeys;
  mki?: Buffer;
  encryptRtp: boolean;
  encryptRtcp: boolean;
  replayWindow: number;
}

/** One pair's SRTP as the native thread takes it: `out` protects what we send, `in` what the peer sends. */
export interface EngineSrtpConfig {
  suite: 0 | 1 | 2;
  out: EngineSrtpDirection;
  in: EngineSrtpDirection;
  srtcpTag32: 4 | 10;
  maxStreams: number;
}

/** A master key with its policy, as SrtpSender/SrtpReceiver take them (an SdesKeys fits). */
export type EngineMasterKey = SrtpMasterKey & Pick<SrtpPolicy, 'encryptRtp' | 'encryptRtcp' | 'replayWindow'>;

function direction(master: EngineMasterKey): EngineSrtpDirection {
  const suite = SRTP_SUITES[master.suite];
  if (!suite) throw new SrtpProtectError(`Unknown SRTP crypto suite ${String(master.suite)}`);
  const derived = deriveSessionKeys(suite, master.key, master.salt);
  const keys = (k: SessionKeys): EngineSrtpKeys => ({ encryption: k.encryptionKey, auth: k.authKey, salt: k.salt });
  return {
    rtp: keys(derived.rtp),
    rtcp: keys(derived.rtcp),
    ...(master.mki && master.mki.length > 0 ? { mki: master.mki } : {}),
    encryptRtp: master.encryptRtp ?? true,
    encryptRtcp: master.encryptRtcp ?? true,
    replayWindow: master.replayWindow ?? DEFAULT_REPLAY_WINDOW,
  };
}

/**
 * Our master key (`local`, what we protect with) and the peer's (`remote`). Both directions use one
 * suite, the answer's, as SDES does. `policy` adds what SDES does not say (srtcpTag32, maxStreams).
 */
export function engineSrtpConfig(local: EngineMasterKey, remote: EngineMasterKey, policy: Pick<SrtpPolicy, 'srtcpTag32' | 'maxStreams'> = {}): EngineSrtpConfig {
  if (local.suite !== remote.suite) throw new SrtpProtectError(`Both directions must use one suite, got ${local.suite} and ${remote.suite}`);
  return {
    suite: SUITE_NUMBER[local.suite],
    out: direction(local),
    in: direction(remote),
    srtcpTag32: policy.srtcpTag32 ?? 10,
    maxStreams: policy.maxStreams ?? 16,
  };
}
