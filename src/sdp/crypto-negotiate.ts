/**
 * SDES offer/answer (RFC 4568 §7): the a=crypto lines of our offer, one per suite with a fresh key;
 * the answer to a peer's offer (the first line we can use, same tag and suite, our own new key);
 * and reading the peer's answer against our offer. Each side ends with two SdesKeys: `local` keys
 * what we send (the peer decrypts with it), `remote` what we receive.
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_SDES_SUITES,
  SDES_SUITES,
  SdpCryptoError,
  parseCrypto,
  sdesKeys,
  sdesSuite,
  serializeCrypto,
  type SdesKeys,
  type SdesSuiteName,
  type SdpCrypto,
  type SdpCryptoKey,
} from './crypto.js';
import { findAttributes } from './media-format.js';
import type { SdpAttribute, SdpMedia } from './types.js';

export interface CryptoOfferOptions {
  /** Suites in preference order; default AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM. */
  suites?: readonly SdesSuiteName[];
  /** Key lifetime to write, e.g. "2^31" (Lync and Exchange write it); none by default. */
  lifetime?: string;
  /** MKI to write on every key, e.g. { value: '1', length: 1 }; none by default. */
  mki?: { value: string; length: number };
  /** Source of key material; node:crypto randomBytes by default (tests pass a fixed one). */
  random?: (bytes: number) => Buffer;
}

/** The a=crypto lines of an offer: tags 1, 2, ... in the order of `suites`, each with its own key. */
export function createCryptoOffer(options: CryptoOfferOptions = {}): SdpCrypto[] {
  const suites = options.suites ?? DEFAULT_SDES_SUITES;
  if (suites.length === 0) throw new RangeError('An SDES offer needs at least one crypto suite');
  return suites.map((suite, i) => ({ tag: i + 1, suite, keys: [newKey(suite, options)], sessionParams: [] }));
}

function newKey(suite: SdesSuiteName, options: Pick<CryptoOfferOptions, 'lifetime' | 'mki' | 'random'>): SdpCryptoKey {
  const { keyLength, saltLength } = SDES_SUITES[suite];
  const key: SdpCryptoKey = { keySalt: (options.random ?? randomBytes)(keyLength + saltLength) };
  if (options.lifetime !== undefined) key.lifetime = options.lifetime;
  if (options.mki) key.mki = { ...options.mki };
  return key;
}

/** An SdpCrypto as an attribute for an m= section. */
export function cryptoAttribute(c: SdpCrypto): SdpAttribute {
  return { name: 'crypto', value: serializeCrypto(c) };
}

/** One a=crypto line of an m= section: parsed, or the reason it could not be. */
export interface CryptoLine {
  value: string;
  crypto?: SdpCrypto;
  error?: SdpCryptoError;
}

/** Every a=crypto line of an m= section, each parsed on its own so one bad line does not hide the others. */
export function cryptoLines(media: SdpMedia): CryptoLine[] {
  return findAttributes(media.attributes, 'crypto').map((a) => {
    const value = a.value ?? '';
    try {
      return { value, crypto: parseCrypto(value) };
    } catch (e) {
      if (e instanceof SdpCryptoError) return { value, error: e };
      throw e;
    }
  });
}

/** How an m= section's media is protected, from its transport protocol (RFC 3711 §12, RFC 5764 §8). */
export function mediaSecurity(media: SdpMedia): 'none' | 'sdes' | 'dtls-srtp' {
  const proto = media.protocol.toUpperCase();
  if (proto === 'RTP/SAVP' || proto === 'RTP/SAVPF') return 'sdes';
  if (proto === 'UDP/TLS/RTP/SAVP' || proto === 'UDP/TLS/RTP/SAVPF') return 'dtls-srtp';
  return 'none';
}

/**
 * Microsoft's media-level `a=encryption:required|optional|rejected` (MS-SDP §3.1.5.4, MS-SDPEXT), which
 * Lync/Skype for Business, Exchange UM and Teams' SBC partners put next to their a=crypto lines on an
 * RTP/AVP stream. A peer that sends it acknowledges SRTP with RTP/SAVP in its answer, and answers
 * "488 Encryption Levels not compatible" when the levels cannot meet.
 */
export type EncryptionLevel = 'required' | 'optional' | 'rejected';

/** The m= section's a=encryption level, or undefined when absent or not one of the three. */
export function encryptionLevel(media: SdpMedia): EncryptionLevel | undefined {
  const v = findAttributes(media.attributes, 'encryption')[0]?.value?.trim().toLowerCase();
  return v === 'required' || v === 'optional' || v === 'rejected' ? v : undefined;
}

/** True when the m= line is RTP/SAVP(F): it must carry a=crypto and its media must be SRTP. */
export function mediaNeedsCrypto(media: SdpMedia): boolean {
  return mediaSecurity(media) === 'sdes';
}

export interface CryptoAnswerOptions extends Pick<CryptoOfferOptions, 'random'> {
  /** Suites we accept; default all that umphone implements. */
  suites?: readonly SdesSuiteName[];
}

export interface CryptoNegotiated {
  /** Keys for what we send: ours. */
  local: SdesKeys;
  /** Keys for what we receive: the peer's. */
  remote: SdesKeys;
}

export interface CryptoAnswer extends CryptoNegotiated {
  /** The one a=crypto line of our answer. */
  answer: SdpCrypto;
}

/**
 * RFC 4568 §7.1.2: answers an offered m= section (or its parsed lines) with the first line whose
 * suite and parameters we support. The answer keeps the tag and suite, carries our own fresh key in
 * the same form as the offered one (lifetime and MKI length, as Lync-style peers expect), and repeats
 * UNENCRYPTED_SRTP/UNENCRYPTED_SRTCP, which apply to both directions. Throws SdpCryptoError with a
 * Warning text when no line is usable: the first line's reason when there is one line, else a summary.
 */
export function answerCrypto(offer: SdpMedia | readonly CryptoLine[], options: CryptoAnswerOptions = {}): CryptoAnswer {
  const lines = Array.isArray(offer) ? (offer as readonly CryptoLine[]) : cryptoLines(offer as SdpMedia);
  const allowed = options.suites ?? DEFAULT_SDES_SUITES;
  const reasons: string[] = [];
  for (const line of lines) {
    if (!line.crypto) {
      reasons.push(line.error!.warning);
      continue;
    }
    const c = line.crypto;
    try {
      const remote = sdesKeys(c);
      if (!allowed.includes(remote.suite)) throw new SdpCryptoError(`Crypto suite ${remote.suite} is not enabled`, 'SDP_CRYPTO_UNSUPPORTED');
      const offered = c.keys[0]!;
      const mki = offered.mki ? { value: '1', length: offered.mki.length } : undefined;
      const answer: SdpCrypto = {
        tag: c.tag,
        suite: c.suite,
        keys: [newKey(remote.suite, { random: options.random, lifetime: offered.lifetime, mki })],
        sessionParams: c.sessionParams.filter((p) => p === 'UNENCRYPTED_SRTP' || p === 'UNENCRYPTED_SRTCP'),
      };
      return { answer, local: sdesKeys(answer), remote };
    } catch (e) {
      if (!(e instanceof SdpCryptoError)) throw e;
      reasons.push(e.warning);
    }
  }
  if (lines.length === 0) throw new SdpCryptoError('No crypto attribute in an RTP/SAVP offer', 'SDP_CRYPTO_NONE');
  if (reasons.length === 1) throw new SdpCryptoError(reasons[0]!, 'SDP_CRYPTO_NONE');
  throw new SdpCryptoError(`No usable crypto attribute: ${reasons.join('; ')}`, 'SDP_CRYPTO_NONE');
}

/**
 * RFC 4568 §7.1.3: the offerer reads the answer. It must carry one a=crypto line whose tag is one we
 * offered with the same suite; its key is the peer's. Throws SdpCryptoError (SDP_CRYPTO_ANSWER)
 * otherwise: the caller then ends the call (RFC 3264 gives no way to reject an answer).
 */
export function acceptCryptoAnswer(offered: readonly SdpCrypto[], answer: SdpMedia | readonly CryptoLine[]): CryptoNegotiated {
  const lines = Array.isArray(answer) ? (answer as readonly CryptoLine[]) : cryptoLines(answer as SdpMedia);
  const fail = (m: string): SdpCryptoError => new SdpCryptoError(m, 'SDP_CRYPTO_ANSWER');
  if (lines.length === 0) throw fail('The answer has no crypto attribute');
  if (lines.length > 1) throw fail(`The answer has ${lines.length} crypto attributes, RFC 4568 allows one`);
  const line = lines[0]!;
  if (!line.crypto) throw line.error!;
  const ours = offered.find((o) => o.tag === line.crypto!.tag);
  if (!ours) throw fail(`The answer's crypto tag ${line.crypto.tag} was not offered`);
  if (sdesSuite(ours.suite) !== sdesSuite(line.crypto.suite)) {
    throw fail(`The answer's crypto tag ${ours.tag} names ${line.crypto.suite}, the offer ${ours.suite}`);
  }
  const remote = sdesKeys(line.crypto);
  const local = sdesKeys(ours);
  // UNENCRYPTED_* in the answer bind both directions (§6.3.3–6.3.4).
  local.encryptRtp &&= remote.encryptRtp;
  local.encryptRtcp &&= remote.encryptRtcp;
  return { local, remote };
}
