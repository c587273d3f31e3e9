/** SDP (RFC 8866) and offer/answer (RFC 3264) for one G.711 audio stream with RFC 4733 events. */
export type * from './types.js';
export { SDP_DIRECTIONS } from './types.js';
export { SdpParseError, SdpNegotiationError, NoCommonCodecError } from './errors.js';
export { CODEC_SPELLINGS, CodecNameError, parseCodecList, parseCodecName } from './codec-name.js';
export { parseSdp } from './parse.js';
export { serializeSdp } from './serialize.js';
export {
  STATIC_PAYLOAD_TYPES,
  answerDirection,
  canReceive,
  canSend,
  findAttribute,
  findAttributes,
  findCodec,
  fmtp,
  hasRtcpMux,
  isNullAddress,
  maxptime,
  mediaConnection,
  mediaDirection,
  payloadTypes,
  ptime,
  reverseDirection,
  rtcpAttribute,
  rtpMaps,
} from './media-format.js';
export { CODEC_PAYLOAD_TYPES, DEFAULT_TELEPHONE_EVENT, buildOffer, createOffer, newSessionId } from './offer.js';
export type { LocalMediaOptions, TelephoneEventOptions } from './offer.js';
export { createAnswer } from './answer.js';
export type { SdpAnswer } from './answer.js';
export { negotiate, telephoneEventOf } from './negotiate.js';
export type { NegotiatedAudio, SdpInput, TransportAddress } from './negotiate.js';
export { LocalSdpSession, remoteHoldState } from './session.js';
export type { LocalSessionOptions, RemoteHoldReason, RemoteHoldState } from './session.js';
export {
  DEFAULT_SDES_SUITES,
  SDES_SUITES,
  SdpCryptoError,
  lifetimePackets,
  mkiBytes,
  parseCrypto,
  sdesKeys,
  sdesSuite,
  serializeCrypto,
} from './crypto.js';
export type { SdesKeys, SdesSuiteName, SdpCrypto, SdpCryptoKey } from './crypto.js';
export {
  acceptCryptoAnswer,
  answerCrypto,
  createCryptoOffer,
  cryptoAttribute,
  cryptoLines,
  encryptionLevel,
  mediaNeedsCrypto,
  mediaSecurity,
} from './crypto-negotiate.js';
export type { CryptoAnswer, CryptoAnswerOptions, CryptoLine, CryptoNegotiated, CryptoOfferOptions, EncryptionLevel } from './crypto-negotiate.js';
