/** SRTP and SRTCP (RFC 3711, RFC 7714) on node:crypto: suites, key derivation, sender and receiver. */
export { SRTP_SUITES, SRTP_SUITE_NAMES, srtpSuite } from './suites.js';
export type { SrtpSuite, SrtpSuiteName } from './suites.js';
export { SrtpKeyError, deriveSessionKeys, deriveSessionKey, aesCmKeystream, SRTP_LABEL } from './kdf.js';
export type { DerivedKeys, SessionKeys } from './kdf.js';
export { ReplayWindow, DEFAULT_REPLAY_WINDOW, MIN_REPLAY_WINDOW } from './replay-window.js';
export { estimateIndex } from './packet-index.js';
export { SrtpProtectError, newCounters } from './policy.js';
export type { SrtpCounters, SrtpFailureReason, SrtpMasterKey, SrtpPolicy, SrtpResult } from './policy.js';
export { SrtpSender } from './srtp-sender.js';
export type { RekeyOptions } from './srtp-sender.js';
export { SrtpReceiver } from './srtp-receiver.js';
export { engineSrtpConfig } from './engine-keys.js';
export type { EngineMasterKey, EngineSrtpConfig, EngineSrtpDirection, EngineSrtpKeys } from './engine-keys.js';
