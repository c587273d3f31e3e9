/**
 * RFC 7714 §16.1 and §17.1 (AEAD_AES_128_GCM): session key 00..0f, salt "Quid pro quo", the RTP and
 * SRTCP packets, sealed (encrypted) and tagged only. Shared by the JavaScript and the native tests.
 */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const RFC7714 = (() => {
  const sessionKey = hex('000102030405060708090a0b0c0d0e0f');
  const salt = Buffer.from('Quid pro quo', 'ascii');
  const rtp = hex('8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573');
  const rtpSealed = hex(
    '8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf ' +
      '8833899d 7f27beb1 6a9152cf 765ee439 0cce',
  );
  const rtpTagged = hex(
    '8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 ' +
      '65732249 3f82d2bc e397e9d7 9e3b19aa 4216',
  );
  const rtcp = hex('81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef');
  const rtcpSealed = hex(
    '81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded ' +
      '0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4',
  );
  const rtcpTagged = hex(
    '81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef ' +
      'deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4',
  );
  return { sessionKey, salt, rtp, rtpSealed, rtpTagged, rtcp, rtcpSealed, rtcpTagged };
})();
