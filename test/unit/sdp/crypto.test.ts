/** a=crypto (RFC 4568): lines as peers write them, malformed ones with their exact error. */
import { describe, expect, it } from 'vitest';
import { SdpCryptoError, mkiBytes, parseCrypto, sdesKeys, serializeCrypto } from '../../../src/sdp/index.js';

const K30 = 'k4EAptx7y24x6FNUBLlS+jJyXASV5TGVYROgolsr';
const K30b = 'SPcpdrlkAcxRu9s1nb3cKMAHKK56vn+A2kItbMOO';
const K28 = 'VS2htLYWzcpyDveIZTASsf7EcToUYhbvIsX87A==';
const K44 = 'JY5HDfjNhR9Cm/XKgmtplsYQJ+EmzGMdnzVwkVu79CqTNVm36ASTf5AmAcE=';
const K29 = 'l/vqeZg1np5dldkYvYiQGINXDwrMHFHfLubkID8=';

describe('parseCrypto: lines in the style of real peers', () => {
  it.each([
    // [who, value, tag, suite, lifetime, mki]
    ['Lync / Exchange UM (lifetime and 1-byte MKI)', `2 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31|1:1`, 2, 'AES_CM_128_HMAC_SHA1_80', '2^31', { value: '1', length: 1 }],
    ['Lync second line (lifetime only)', `3 AES_CM_128_HMAC_SHA1_80 inline:${K30b}|2^31`, 3, 'AES_CM_128_HMAC_SHA1_80', '2^31', undefined],
    ['Teams Direct Routing SBC (MKI 1:1)', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31|1:1`, 1, 'AES_CM_128_HMAC_SHA1_80', '2^31', { value: '1', length: 1 }],
    ['SBC with a 4-byte MKI', `1 AES_CM_128_HMAC_SHA1_32 inline:${K30b}|2^20|1:4`, 1, 'AES_CM_128_HMAC_SHA1_32', '2^20', { value: '1', length: 4 }],
    ['baresip', `1 AES_CM_128_HMAC_SHA1_32 inline:${K30}`, 1, 'AES_CM_128_HMAC_SHA1_32', undefined, undefined],
    ['baresip GCM', `4 AEAD_AES_128_GCM inline:${K28}`, 4, 'AEAD_AES_128_GCM', undefined, undefined],
    ['Asterisk', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30b}`, 1, 'AES_CM_128_HMAC_SHA1_80', undefined, undefined],
    ['decimal lifetime, 2-byte MKI 12', `5 AES_CM_128_HMAC_SHA1_80 inline:${K30}|1048576|12:2`, 5, 'AES_CM_128_HMAC_SHA1_80', '1048576', { value: '12', length: 2 }],
  ])('%s', (_who, value, tag, suite, lifetime, mki) => {
    const c = parseCrypto(value);
    expect(c).toMatchObject({ tag, suite, sessionParams: [] });
    expect(c.keys).toHaveLength(1);
    expect(c.keys[0]!.lifetime).toBe(lifetime);
    expect(c.keys[0]!.mki).toEqual(mki);
    expect(serializeCrypto(c)).toBe(value);
    const k = sdesKeys(c);
    expect(Buffer.concat([k.key, k.salt]).toString('base64')).toBe(value.split(/inline:|\|/)[1]);
  });

  it('reads session parameters and the MKI as octets', () => {
    const c = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31|258:2 UNENCRYPTED_SRTCP WSH=256 -vendor-option FEC_ORDER=FEC_SRTP`);
    expect(c.sessionParams).toEqual(['UNENCRYPTED_SRTCP', 'WSH=256', '-vendor-option', 'FEC_ORDER=FEC_SRTP']);
    expect(sdesKeys(c)).toMatchObject({ encryptRtp: true, encryptRtcp: false, replayWindow: 256, lifetime: 2 ** 31, mki: Buffer.from([1, 2]) });
    expect(mkiBytes({ value: '1', length: 4 })).toEqual(Buffer.from([0, 0, 0, 1]));
  });

  it('takes a lower-case suite name and a key without base64 padding', () => {
    const k = sdesKeys(parseCrypto(`7 aead_aes_128_gcm inline:${K28.replace(/=+$/, '')}`));
    expect(k).toMatchObject({ tag: 7, suite: 'AEAD_AES_128_GCM' });
    expect(k.key.length + k.salt.length).toBe(28);
  });

  it('parses several master keys but refuses to use them', () => {
    const c = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^20|1:4;inline:${K30b}|2^20|2:4`);
    expect(c.keys.map((k) => k.mki?.value)).toEqual(['1', '2']);
    expect(() => sdesKeys(c)).toThrow(new SdpCryptoError('Crypto tag 1 has 2 master keys: only one is supported', 'SDP_CRYPTO_UNSUPPORTED'));
  });
});

describe('parseCrypto: malformed lines', () => {
  it.each([
    ['no key parameters', '1 AES_CM_128_HMAC_SHA1_80', 'Malformed crypto attribute "1 AES_CM_128_HMAC_SHA1_80": expected tag, suite and key parameters'],
    ['tag not a number', `x AES_CM_128_HMAC_SHA1_80 inline:${K30}`, 'Malformed crypto tag "x": expected 1 to 9 digits, not 0'],
    ['tag 0', `0 AES_CM_128_HMAC_SHA1_80 inline:${K30}`, 'Malformed crypto tag "0": expected 1 to 9 digits, not 0'],
    ['tag of 10 digits', `1234567890 AES_CM_128_HMAC_SHA1_80 inline:${K30}`, 'Malformed crypto tag "1234567890": expected 1 to 9 digits, not 0'],
    ['missing inline:', `1 AES_CM_128_HMAC_SHA1_80 ${K30}`, `Crypto key parameter "${K30}" has no key method: expected inline:<key||salt>`],
    ['bad base64', '1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!', 'Crypto key "not*base64!" is not valid base64'],
    ['base64 of impossible length', '1 AES_CM_128_HMAC_SHA1_80 inline:QUJDR', 'Crypto key "QUJDR" is not valid base64'],
    ['empty key', '1 AES_CM_128_HMAC_SHA1_80 inline:|2^31', 'Crypto key "" is not valid base64'],
    ['MKI length 0', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31|1:0`, 'Malformed MKI "1:0": expected value:length with a length of 1..128 octets'],
    ['MKI length 200', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|1:200`, 'Malformed MKI "1:200": expected value:length with a length of 1..128 octets'],
    ['MKI value too big', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31|256:1`, 'MKI value 256 does not fit in 1 octets'],
    ['lifetime 2^x', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^x`, 'Malformed key lifetime "2^x": expected 2^n or a number of packets'],
    ['lifetime 0', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|0|1:1`, 'Malformed key lifetime "0": expected 2^n or a number of packets'],
    ['lifetime after MKI', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|1:1|2^31`, `Crypto key parameter "inline:${K30}|1:1|2^31": the lifetime must come once, before the MKI`],
  ])('%s', (_name, value, message) => {
    const e = catchError(() => parseCrypto(value));
    expect(e).toBeInstanceOf(SdpCryptoError);
    expect(e).toMatchObject({ message, warning: message, code: 'SDP_CRYPTO_SYNTAX' });
  });

  it('refuses another key method as unsupported', () => {
    expect(catchError(() => parseCrypto('1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key'))).toMatchObject({
      warning: 'Crypto key method "uri" is not supported: expected inline',
      code: 'SDP_CRYPTO_UNSUPPORTED',
    });
  });
});

describe('sdesKeys: lines umphone cannot use', () => {
  it.each([
    ['unknown suite', `1 FOO_BAR_80 inline:${K30}`, 'Unsupported crypto suite FOO_BAR_80'],
    ['AES-256 suite', `1 AES_256_CM_HMAC_SHA1_80 inline:${K44}`, 'Unsupported crypto suite AES_256_CM_HMAC_SHA1_80'],
    ['GCM-256 suite', `1 AEAD_AES_256_GCM inline:${K44}`, 'Unsupported crypto suite AEAD_AES_256_GCM'],
    ['key one octet short', `1 AES_CM_128_HMAC_SHA1_80 inline:${K29}`, 'Crypto key for AES_CM_128_HMAC_SHA1_80 must be 30 octets of key and salt, got 29'],
    ['30-octet key for GCM', `1 AEAD_AES_128_GCM inline:${K30}`, 'Crypto key for AEAD_AES_128_GCM must be 28 octets of key and salt, got 30'],
    ['UNAUTHENTICATED_SRTP', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30} UNAUTHENTICATED_SRTP`, 'UNAUTHENTICATED_SRTP is not supported: umphone authenticates every SRTP packet'],
    ['KDR', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30} KDR=10`, 'KDR=10 is not supported: only the default key derivation (once per master key)'],
    ['unknown mandatory parameter', `1 AES_CM_128_HMAC_SHA1_80 inline:${K30} FOO=1`, 'Unsupported crypto session parameter FOO'],
  ])('%s', (_name, value, warning) => {
    const e = catchError(() => sdesKeys(parseCrypto(value)));
    expect(e).toMatchObject({ warning, code: 'SDP_CRYPTO_UNSUPPORTED' });
    expect((e as SdpCryptoError).warningHeader('umphone.example')).toBe(`399 umphone.example "${warning}"`);
  });

  it('says WSH below 64 is malformed', () => {
    expect(catchError(() => sdesKeys(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} WSH=32`)))).toMatchObject({
      warning: 'Malformed WSH "WSH=32": expected a window of at least 64',
      code: 'SDP_CRYPTO_SYNTAX',
    });
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
