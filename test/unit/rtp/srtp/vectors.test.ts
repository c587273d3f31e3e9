/**
 * Published vectors: RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key derivation), the
 * reference packet of libsrtp's test/srtp_driver.c (srtp_validate: a whole SRTP and SRTCP packet
 * under AES_CM_128_HMAC_SHA1_80), and RFC 7714 §16–17 (AES-GCM on session keys).
 */
import { describe, expect, it } from 'vitest';
import { RFC7714 } from './rfc7714-vectors.js';
import { AesCounterMode } from '../../../../src/rtp/srtp/aes-cm.js';
import { aesCmKeystream, deriveSessionKey, deriveSessionKeys, SRTP_LABEL } from '../../../../src/rtp/srtp/kdf.js';
import { SRTP_SUITES } from '../../../../src/rtp/srtp/suites.js';
import { GcmTransform } from '../../../../src/rtp/srtp/transform-gcm.js';
import { SrtpReceiver, SrtpSender } from '../../../../src/rtp/srtp/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 B.2 AES-CM keystream', () => {
  const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
  // Counter → keystream block, as B.2 lists them (the segment is 65282 blocks long).
  const blocks: [number, string][] = [
    [0x0000, 'E03EAD0935C95E80E166B16DD92B4EB4'],
    [0x0001, 'D23513162B02D0F72A43A2FE4A5F97AB'],
    [0x0002, '41E95B3BB0A2E8DD477901E4FCA894C0'],
    [0xfeff, 'EC8CDF7398607CB0F2D21675EA9EA1E4'],
    [0xff00, '362B7C3C6773516318A077D7FC5073AE'],
    [0xff01, '6A2CC3787889374FBEB4C81B17BA6C44'],
  ];
  const segment = aesCmKeystream(key, iv, 65282 * 16);

  it.each(blocks)('node AES-CTR block %i', (n, expected) => {
    expect(segment.subarray(n * 16, n * 16 + 16).toString('hex')).toBe(expected.toLowerCase());
  });

  it.each(blocks)('the reused-ECB counter mode gives block %i too', (n, expected) => {
    const data = Buffer.alloc(65282 * 16);
    new AesCounterMode(key).apply(data, 0, data.length, iv);
    expect(data.subarray(n * 16, n * 16 + 16).toString('hex')).toBe(expected.toLowerCase());
  });

  it('XORs an unaligned range only', () => {
    const data = Buffer.alloc(40, 0);
    new AesCounterMode(key).apply(data, 3, 3 + 20, iv);
    expect(data.subarray(0, 3)).toEqual(Buffer.alloc(3));
    expect(data.subarray(3, 23)).toEqual(segment.subarray(0, 20));
    expect(data.subarray(23)).toEqual(Buffer.alloc(17));
  });
});

describe('RFC 3711 B.3 key derivation', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');

  it.each([
    ['cipher key', SRTP_LABEL.rtpEncryption, 16, 'C61E7A93744F39EE10734AFE3FF7A087'],
    ['cipher salt', SRTP_LABEL.rtpSalt, 14, '30CBBC08863D8C85D49DB34A9AE1'],
    [
      'auth key (94 octets)',
      SRTP_LABEL.rtpAuth,
      94,
      'CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE E049646C43D9327AD175578EF7227098' +
        '6371C10C9A369AC2F94A8C5FBCDDDC25 6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2',
    ],
  ] as const)('%s', (_name, label, length, expected) => {
    expect(deriveSessionKey(masterKey, masterSalt, label, length).toString('hex')).toBe(hex(expected).toString('hex'));
  });

  it('derives the SRTP keys of AES_CM_128_HMAC_SHA1_80 (auth key = first 160 bits of B.3)', () => {
    const keys = deriveSessionKeys(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, masterKey, masterSalt);
    expect(keys.rtp.encryptionKey.toString('hex')).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(keys.rtp.salt.toString('hex')).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(keys.rtp.authKey.toString('hex')).toBe('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
    expect(keys.rtcp.encryptionKey.equals(keys.rtp.encryptionKey)).toBe(false);
  });
});

describe('libsrtp srtp_validate reference packet (same B.3 master key, SSRC 0xcafebabe)', () => {
  const master = { suite: 'AES_CM_128_HMAC_SHA1_80' as const, key: hex('e1f97a0d3e018be0d64fa32c06de4139'), salt: hex('0ec675ad498afeebb6960b3aabe6') };
  const rtpPlain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
  const rtpProtected = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
  const rtcpPlain = hex('81c8000bcafebabe' + 'ab'.repeat(16));
  // SRTCP index 1 (E flag set): libsrtp counts its first SRTCP packet as 1, we count from 0.
  const rtcpProtected = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

  it('protects the RTP packet to the reference bytes', () => {
    expect(new SrtpSender(master).protectRtp(rtpPlain).toString('hex')).toBe(rtpProtected.toString('hex'));
  });

  it('unprotects the reference SRTP packet', () => {
    const r = new SrtpReceiver(master).unprotectRtp(Buffer.from(rtpProtected));
    expect(r.ok && r.packet.toString('hex')).toBe(rtpPlain.toString('hex'));
  });

  it('protects the second RTCP packet (index 1) to the reference bytes', () => {
    const sender = new SrtpSender(master);
    const first = sender.protectRtcp(rtcpPlain);
    expect(first.readUInt32BE(first.length - 14)).toBe(0x80000000);
    expect(sender.protectRtcp(rtcpPlain).toString('hex')).toBe(rtcpProtected.toString('hex'));
  });

  it('unprotects the reference SRTCP packet', () => {
    const r = new SrtpReceiver(master).unprotectRtcp(Buffer.from(rtcpProtected));
    expect(r).toMatchObject({ ok: true, ssrc: 0xcafebabe, index: 1 });
    expect(r.ok && r.packet.toString('hex')).toBe(rtcpPlain.toString('hex'));
  });
});

describe('RFC 7714 AEAD_AES_128_GCM vectors (session key 00..0f, salt "Quid pro quo")', () => {
  const { sessionKey, salt } = RFC7714;
  const transform = (): GcmTransform => {
    const keys = { encryptionKey: sessionKey, authKey: Buffer.alloc(0), salt };
    return new GcmTransform({ rtp: keys, rtcp: keys });
  };
  const { rtp, rtpSealed, rtpTagged, rtcp, rtcpSealed, rtcpTagged } = RFC7714;
  const ssrc = 0x5501a0b2;
  const index = 0xf17b; // ROC 0, SEQ 0xf17b

  it('§16.1.1 encrypts and tags the RTP packet', () => {
    const buf = Buffer.alloc(rtp.length + 16);
    rtp.copy(buf);
    transform().protectRtp(buf, 12, rtp.length, ssrc, index, true, rtp.length, 16);
    expect(buf.toString('hex')).toBe(rtpSealed.toString('hex'));
  });

  it('§16.1.2 verifies and decrypts it', () => {
    const buf = Buffer.from(rtpSealed);
    expect(transform().unprotectRtp(buf, 12, rtp.length, ssrc, index, true, rtp.length, 16)).toBe(true);
    expect(buf.subarray(0, rtp.length).toString('hex')).toBe(rtp.toString('hex'));
  });

  it('§16.1.3 tags without encrypting', () => {
    const buf = Buffer.alloc(rtp.length + 16);
    rtp.copy(buf);
    transform().protectRtp(buf, 12, rtp.length, ssrc, index, false, rtp.length, 16);
    expect(buf.toString('hex')).toBe(rtpTagged.toString('hex'));
  });

  it('rejects the §16.1.2 packet with one bit flipped, and leaves its bytes as they came', () => {
    const buf = Buffer.from(rtpSealed);
    buf[20]! ^= 0x01;
    const before = Buffer.from(buf);
    expect(transform().unprotectRtp(buf, 12, rtp.length, ssrc, index, true, rtp.length, 16)).toBe(false);
    expect(buf).toEqual(before);
  });

  it('§17.1 encrypts and tags the RTCP packet with index 0x5d4', () => {
    const buf = Buffer.alloc(rtcp.length + 20);
    rtcp.copy(buf);
    buf.writeUInt32BE(0x800005d4, rtcp.length + 16);
    transform().protectRtcp(buf, rtcp.length, 0x4d617273, 0x5d4, true, rtcp.length + 16, rtcp.length, 16);
    expect(buf.toString('hex')).toBe(rtcpSealed.toString('hex'));
  });

  it('§17.1 packet verifies and decrypts back', () => {
    const buf = Buffer.from(rtcpSealed);
    expect(transform().unprotectRtcp(buf, rtcp.length, 0x4d617273, 0x5d4, true, rtcp.length + 16, rtcp.length, 16)).toBe(true);
    expect(buf.subarray(0, rtcp.length).toString('hex')).toBe(rtcp.toString('hex'));
  });

  it('§17.3 tags the RTCP packet without encrypting (E flag clear)', () => {
    const buf = Buffer.alloc(rtcp.length + 20);
    rtcp.copy(buf);
    buf.writeUInt32BE(0x000005d4, rtcp.length + 16);
    transform().protectRtcp(buf, rtcp.length, 0x4d617273, 0x5d4, false, rtcp.length + 16, rtcp.length, 16);
    expect(buf.toString('hex')).toBe(rtcpTagged.toString('hex'));
  });
});
