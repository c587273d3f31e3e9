/** SDES offer/answer (RFC 4568 §7) on whole session descriptions, and the keys each side ends with. */
import { describe, expect, it } from 'vitest';
import {
  SdpCryptoError,
  acceptCryptoAnswer,
  answerCrypto,
  createCryptoOffer,
  cryptoAttribute,
  cryptoLines,
  mediaNeedsCrypto,
  mediaSecurity,
  parseSdp,
  serializeCrypto,
  type SdpMedia,
} from '../../../src/sdp/index.js';

/** Deterministic key material: 0x01 0x02 ... so expected lines can be written out. */
function counting(start = 1): (n: number) => Buffer {
  let next = start;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';
function audioOf(lines: string[]): SdpMedia {
  return parseSdp(crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', ...lines])).media[0]!;
}

const K30 = 'k4EAptx7y24x6FNUBLlS+jJyXASV5TGVYROgolsr';
const K30b = 'SPcpdrlkAcxRu9s1nb3cKMAHKK56vn+A2kItbMOO';

describe('createCryptoOffer', () => {
  it('writes one line per suite, tags from 1, each with its own key', () => {
    const lines = createCryptoOffer({ random: counting() }).map(serializeCrypto);
    expect(lines).toEqual([
      `1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.from(Array.from({ length: 30 }, (_, i) => i + 1)).toString('base64')}`,
      `2 AES_CM_128_HMAC_SHA1_32 inline:${Buffer.from(Array.from({ length: 30 }, (_, i) => i + 31)).toString('base64')}`,
      `3 AEAD_AES_128_GCM inline:${Buffer.from(Array.from({ length: 28 }, (_, i) => i + 61)).toString('base64')}`,
    ]);
  });

  it('writes a Lync-style lifetime and MKI when asked, and fresh random keys by default', () => {
    const [a] = createCryptoOffer({ suites: ['AES_CM_128_HMAC_SHA1_80'], lifetime: '2^31', mki: { value: '1', length: 1 } });
    const [b] = createCryptoOffer({ suites: ['AES_CM_128_HMAC_SHA1_80'] });
    expect(serializeCrypto(a!)).toMatch(/^1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\|2\^31\|1:1$/);
    expect(a!.keys[0]!.keySalt.equals(b!.keys[0]!.keySalt)).toBe(false);
    expect(cryptoAttribute(b!)).toEqual({ name: 'crypto', value: serializeCrypto(b!) });
  });
});

describe('answerCrypto', () => {
  it('answers a Lync-style offer with the first usable line, mirroring lifetime and MKI length', () => {
    const offer = audioOf([
      'm=audio 5000 RTP/SAVP 0 101',
      `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:JY5HDfjNhR9Cm/XKgmtplsYQJ+EmzGMdnzVwkVu79CqTNVm36ASTf5AmAcE=|2^31|1:1`,
      `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31|1:1`,
      `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${K30b}|2^31`,
    ]);
    const { answer, local, remote } = answerCrypto(offer, { random: counting(100) });
    const ours = Buffer.from(Array.from({ length: 30 }, (_, i) => i + 100));
    expect(serializeCrypto(answer)).toBe(`2 AES_CM_128_HMAC_SHA1_80 inline:${ours.toString('base64')}|2^31|1:1`);
    expect(Buffer.concat([remote.key, remote.salt]).toString('base64')).toBe(K30);
    expect(remote.mki).toEqual(Buffer.from([1]));
    expect(Buffer.concat([local.key, local.salt])).toEqual(ours);
    expect(local).toMatchObject({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_80', mki: Buffer.from([1]), encryptRtp: true, encryptRtcp: true });
  });

  it('skips a malformed line and a suite that is not enabled, and repeats UNENCRYPTED_SRTCP', () => {
    const offer = audioOf([
      'm=audio 5000 RTP/SAVP 0',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:***',
      `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${K30}`,
      `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${K30b} UNENCRYPTED_SRTCP WSH=256`,
    ]);
    expect(cryptoLines(offer).map((l) => l.error?.code ?? 'ok')).toEqual(['SDP_CRYPTO_SYNTAX', 'ok', 'ok']);
    const { answer, local, remote } = answerCrypto(offer, { suites: ['AES_CM_128_HMAC_SHA1_80'] });
    expect(answer).toMatchObject({ tag: 3, suite: 'AES_CM_128_HMAC_SHA1_80', sessionParams: ['UNENCRYPTED_SRTCP'] });
    expect(local.encryptRtcp).toBe(false);
    expect(remote).toMatchObject({ encryptRtcp: false, replayWindow: 256 });
  });

  it.each([
    [
      'one unsupported suite',
      [`a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:JY5HDfjNhR9Cm/XKgmtplsYQJ+EmzGMdnzVwkVu79CqTNVm36ASTf5AmAcE=`],
      'Unsupported crypto suite AES_256_CM_HMAC_SHA1_80',
    ],
    ['no crypto line at all', [], 'No crypto attribute in an RTP/SAVP offer'],
    [
      'two unusable lines',
      ['a=crypto:1 F8_128_HMAC_SHA1_80 inline:' + K30, 'a=crypto:2 AES_CM_128_HMAC_SHA1_80 ' + K30],
      `No usable crypto attribute: Unsupported crypto suite F8_128_HMAC_SHA1_80; Crypto key parameter "${K30}" has no key method: expected inline:<key||salt>`,
    ],
  ])('refuses an offer with %s, with a Warning for the 488', (_name, lines, warning) => {
    const offer = audioOf(['m=audio 5000 RTP/SAVP 0', ...lines]);
    let error: unknown;
    try {
      answerCrypto(offer);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SdpCryptoError);
    expect(error).toMatchObject({ code: 'SDP_CRYPTO_NONE', warning });
    expect((error as SdpCryptoError).warningHeader('10.0.0.1')).toBe(`399 10.0.0.1 "${warning.replace(/"/g, "'")}"`);
  });
});

describe('acceptCryptoAnswer', () => {
  const offered = createCryptoOffer({ random: counting() });
  const answerLine = (value: string): SdpMedia => audioOf(['m=audio 6000 RTP/SAVP 0', `a=crypto:${value}`]);

  it('takes the answered tag: our key for sending, theirs for receiving', () => {
    const { local, remote } = acceptCryptoAnswer(offered, answerLine(`2 AES_CM_128_HMAC_SHA1_32 inline:${K30}`));
    expect(local).toMatchObject({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32' });
    expect(Buffer.concat([local.key, local.salt])).toEqual(offered[1]!.keys[0]!.keySalt);
    expect(Buffer.concat([remote.key, remote.salt]).toString('base64')).toBe(K30);
  });

  it('applies UNENCRYPTED_SRTP in the answer to our direction too', () => {
    const { local } = acceptCryptoAnswer(offered, answerLine(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} UNENCRYPTED_SRTP`));
    expect(local.encryptRtp).toBe(false);
  });

  it.each([
    ['a tag we did not offer', [`a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${K30}`], "The answer's crypto tag 9 was not offered"],
    ['another suite under our tag', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${K30}`], "The answer's crypto tag 1 names AES_CM_128_HMAC_SHA1_32, the offer AES_CM_128_HMAC_SHA1_80"],
    ['no crypto line', [], 'The answer has no crypto attribute'],
    ['two crypto lines', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${K30}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${K30b}`], 'The answer has 2 crypto attributes, RFC 4568 allows one'],
  ])('refuses an answer with %s', (_name, lines, warning) => {
    expect(() => acceptCryptoAnswer(offered, audioOf(['m=audio 6000 RTP/SAVP 0', ...lines]))).toThrow(
      new SdpCryptoError(warning, 'SDP_CRYPTO_ANSWER'),
    );
  });

  it('passes on the syntax error of a malformed answer line', () => {
    expect(() => acceptCryptoAnswer(offered, answerLine('1 AES_CM_128_HMAC_SHA1_80 inline:%%%'))).toThrow('Crypto key "%%%" is not valid base64');
  });
});

describe('mediaSecurity', () => {
  it.each([
    ['RTP/AVP', 'none', false],
    ['RTP/AVPF', 'none', false],
    ['RTP/SAVP', 'sdes', true],
    ['rtp/savp', 'sdes', true],
    ['RTP/SAVPF', 'sdes', true],
    ['UDP/TLS/RTP/SAVP', 'dtls-srtp', false],
    ['UDP/TLS/RTP/SAVPF', 'dtls-srtp', false],
    ['udptl', 'none', false],
  ])('%s is %s', (protocol, security, needs) => {
    const media = audioOf([`m=audio 5000 ${protocol} 0`]);
    expect(mediaSecurity(media)).toBe(security);
    expect(mediaNeedsCrypto(media)).toBe(needs);
  });
});
