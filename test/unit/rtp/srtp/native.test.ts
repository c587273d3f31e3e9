/**
 * SRTP on the native I/O thread (src/rtp/native/srtp.cc) through the addon's SrtpContext, the very code
 * the thread runs: published vectors (RFC 3711 B.2, libsrtp's srtp_validate packet, RFC 7714 §16–17),
 * byte-for-byte agreement with the JavaScript implementation both ways, drops and their counters,
 * the ROC across a sequence wrap, MKI and rekeying.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RFC7714 } from './rfc7714-vectors.js';
import { nativeRtpIoUnavailable, nativeSrtpContext, type NativeSrtpContext } from '../../../../src/rtp/io-native.js';
import { writeRtpHeader } from '../../../../src/rtp/packet.js';
import {
  engineSrtpConfig,
  SRTP_SUITE_NAMES,
  SRTP_SUITES,
  SrtpReceiver,
  SrtpSender,
  type EngineMasterKey,
  type EngineSrtpConfig,
  type EngineSrtpKeys,
  type SrtpResult,
  type SrtpSuiteName,
} from '../../../../src/rtp/srtp/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function master(suite: SrtpSuiteName, mki?: Buffer): EngineMasterKey {
  const s = SRTP_SUITES[suite];
  return { suite, key: randomBytes(s.keyLength), salt: randomBytes(s.saltLength), ...(mki ? { mki } : {}) };
}

function rtp(seq: number, ssrc = 0x11223344, payloadLength = 160): Buffer {
  const b = Buffer.alloc(12 + payloadLength, seq & 0xff);
  writeRtpHeader(b, { payloadType: 0, marker: false, sequence: seq & 0xffff, timestamp: seq * 160, ssrc });
  return b;
}

function rtcp(ssrc = 0x11223344): Buffer {
  const b = Buffer.alloc(32, 0x5a);
  b.writeUInt16BE(0x81c9, 0);
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

function plain(r: SrtpResult): Buffer {
  if (!r.ok) throw new Error(`dropped: ${r.reason}`);
  return Buffer.from(r.packet);
}

/** A session whose both directions use the same master key (so it unprotects what it protects). */
function native(k: EngineMasterKey): NativeSrtpContext {
  return nativeSrtpContext(engineSrtpConfig(k, k));
}

/** A config from session keys given directly (the RFC vectors give those, not master keys). */
function rawConfig(suite: 0 | 1 | 2, keys: EngineSrtpKeys): EngineSrtpConfig {
  const d = { rtp: keys, rtcp: keys, encryptRtp: true, encryptRtcp: true, replayWindow: 128 };
  return { suite, out: d, in: d, srtcpTag32: 10, maxStreams: 16 };
}

it('the addon is built (npm install builds it), so these tests run the native code', () => {
  expect(nativeRtpIoUnavailable()).toBeUndefined();
});

describe('RFC 3711 B.2 AES-CM keystream through the native session', () => {
  // Session salt F0..FD with SSRC 0 and index 0 makes the counter block B.2's IV F0F1..FD 0000; a payload
  // of zeros comes out as the keystream itself.
  const ctx = (): NativeSrtpContext =>
    nativeSrtpContext(rawConfig(0, { encryption: hex('2B7E151628AED2A6ABF7158809CF4F3C'), auth: Buffer.alloc(20, 7), salt: hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD') }));
  const blocks: [number, string][] = [
    [0x0000, 'E03EAD0935C95E80E166B16DD92B4EB4'],
    [0x0001, 'D23513162B02D0F72A43A2FE4A5F97AB'],
    [0x0002, '41E95B3BB0A2E8DD477901E4FCA894C0'],
    [0xfeff, 'EC8CDF7398607CB0F2D21675EA9EA1E4'],
    [0xff00, '362B7C3C6773516318A077D7FC5073AE'],
    [0xff01, '6A2CC3787889374FBEB4C81B17BA6C44'],
  ];
  it.each(blocks)('block %i', (n, expected) => {
    const packet = rtp(0, 0, 65282 * 16);
    packet.fill(0, 12);
    const out = ctx().protectRtp(packet)!;
    expect(out.subarray(12 + n * 16, 12 + n * 16 + 16).toString('hex')).toBe(expected.toLowerCase());
  });
});

describe('libsrtp srtp_validate reference packet (RFC 3711 B.3 master key)', () => {
  const k: EngineMasterKey = { suite: 'AES_CM_128_HMAC_SHA1_80', key: hex('e1f97a0d3e018be0d64fa32c06de4139'), salt: hex('0ec675ad498afeebb6960b3aabe6') };
  const rtpPlain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
  const rtpProtected = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
  const rtcpPlain = hex('81c8000bcafebabe' + 'ab'.repeat(16));
  const rtcpProtected = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

  it('protects RTP to the reference bytes and unprotects them', () => {
    expect(native(k).protectRtp(rtpPlain)!.toString('hex')).toBe(rtpProtected.toString('hex'));
    expect(native(k).unprotectRtp(rtpProtected)!.toString('hex')).toBe(rtpPlain.toString('hex'));
  });

  it('protects the second RTCP packet (index 1) to the reference bytes and unprotects it', () => {
    const s = native(k);
    s.protectRtcp(rtcpPlain);
    expect(s.protectRtcp(rtcpPlain)!.toString('hex')).toBe(rtcpProtected.toString('hex'));
    expect(native(k).unprotectRtcp(rtcpProtected)!.toString('hex')).toBe(rtcpPlain.toString('hex'));
  });
});

describe('RFC 7714 AEAD_AES_128_GCM vectors through the native session', () => {
  const keys = { encryption: RFC7714.sessionKey, auth: Buffer.alloc(0), salt: RFC7714.salt };
  const { rtp: rtpPacket, rtpSealed, rtpTagged, rtcp: rtcpPacket, rtcpSealed, rtcpTagged } = RFC7714;

  it('§16.1.1 seals the RTP packet, §16.1.2 opens it', () => {
    expect(nativeSrtpContext(rawConfig(2, keys)).protectRtp(rtpPacket)!.toString('hex')).toBe(rtpSealed.toString('hex'));
    expect(nativeSrtpContext(rawConfig(2, keys)).unprotectRtp(rtpSealed)!.toString('hex')).toBe(rtpPacket.toString('hex'));
  });

  it('§16.1.3 tags without encrypting (UNENCRYPTED_SRTP)', () => {
    const c = rawConfig(2, keys);
    c.out = { ...c.out, encryptRtp: false };
    c.in = { ...c.in, encryptRtp: false };
    expect(nativeSrtpContext(c).protectRtp(rtpPacket)!.toString('hex')).toBe(rtpTagged.toString('hex'));
    expect(nativeSrtpContext(c).unprotectRtp(rtpTagged)!.toString('hex')).toBe(rtpPacket.toString('hex'));
  });

  it('§17.1 and §17.3 SRTCP packets (index 0x5d4, E set and clear) open', () => {
    expect(nativeSrtpContext(rawConfig(2, keys)).unprotectRtcp(rtcpSealed)!.toString('hex')).toBe(rtcpPacket.toString('hex'));
    expect(nativeSrtpContext(rawConfig(2, keys)).unprotectRtcp(rtcpTagged)!.toString('hex')).toBe(rtcpPacket.toString('hex'));
  });

  it('a flipped bit fails authentication and is counted', () => {
    const s = nativeSrtpContext(rawConfig(2, keys));
    const bad = Buffer.from(rtpSealed);
    bad[20]! ^= 1;
    expect(s.unprotectRtp(bad)).toBeNull();
    expect(s.stats().rtp.auth).toBe(1);
  });
});

describe.each(SRTP_SUITE_NAMES)('%s: native and JavaScript agree', (suite) => {
  it('produce byte-identical SRTP and SRTCP for the same keys and packets, and each unprotects the other', () => {
    const k = master(suite);
    const js = new SrtpSender(k);
    const nat = native(k);
    for (let seq = 65530; seq < 65530 + 12; seq++) {
      const p = rtp(seq);
      const a = js.protectRtp(p);
      const b = nat.protectRtp(p)!;
      expect(b.toString('hex')).toBe(a.toString('hex'));
    }
    for (let i = 0; i < 3; i++) expect(nat.protectRtcp(rtcp())!.toString('hex')).toBe(js.protectRtcp(rtcp()).toString('hex'));

    // JavaScript's packets through the native receiver, and the native sender's through the JavaScript one.
    const natRx = native(k);
    const jsRx = new SrtpReceiver(k);
    const natTx = native(k);
    const jsTx = new SrtpSender(k);
    for (let seq = 100; seq < 110; seq++) {
      expect(natRx.unprotectRtp(jsTx.protectRtp(rtp(seq, 0xabcdef01)))).toEqual(rtp(seq, 0xabcdef01));
      expect(plain(jsRx.unprotectRtp(natTx.protectRtp(rtp(seq, 0x01020304))!))).toEqual(rtp(seq, 0x01020304));
    }
    expect(natRx.unprotectRtcp(jsTx.protectRtcp(rtcp(0xabcdef01)))).toEqual(rtcp(0xabcdef01));
    expect(plain(jsRx.unprotectRtcp(natTx.protectRtcp(rtcp(0x01020304))!))).toEqual(rtcp(0x01020304));
    expect(natRx.stats().rtp.ok).toBe(10);
    expect(natRx.stats().rtcp.ok).toBe(1);
  });

  it('with an MKI, both write it and each refuses the other MKI', () => {
    const k = master(suite, Buffer.from([0, 0, 0, 7]));
    const a = new SrtpSender(k).protectRtp(rtp(5));
    expect(native(k).protectRtp(rtp(5))!.toString('hex')).toBe(a.toString('hex'));
    expect(native(k).unprotectRtp(a)).toEqual(rtp(5));
    const other = native({ ...k, mki: Buffer.from([0, 0, 0, 8]) });
    expect(other.unprotectRtp(a)).toBeNull();
    expect(other.stats().rtp.mki).toBe(1);
  });

  it('drops a tampered packet (counted as auth) and a replay (counted), and the first one still plays', () => {
    const k = master(suite);
    const tx = native(k);
    const rx = native(k);
    const wire = tx.protectRtp(rtp(1))!;
    const tampered = Buffer.from(wire);
    tampered[40]! ^= 0x80;
    expect(rx.unprotectRtp(tampered)).toBeNull();
    expect(rx.unprotectRtp(wire)).toEqual(rtp(1));
    expect(rx.unprotectRtp(wire)).toBeNull();
    const c = rx.stats();
    expect(c.rtp).toMatchObject({ ok: 1, auth: 1, replay: 1 });
    // SRTCP replay too
    const r = tx.protectRtcp(rtcp())!;
    expect(rx.unprotectRtcp(r)).toEqual(rtcp());
    expect(rx.unprotectRtcp(r)).toBeNull();
    expect(rx.stats().rtcp).toMatchObject({ ok: 1, replay: 1 });
  });

  it('carries the ROC across 65535 → 0, agrees with JavaScript on it, and decrypts a late packet from before the wrap', () => {
    const k = master(suite);
    const tx = native(k);
    const rx = native(k);
    const jsRx = new SrtpReceiver(k);
    const late = tx.protectRtp(rtp(65534))!;
    for (const seq of [65535, 0, 1, 2]) {
      const w = tx.protectRtp(rtp(seq))!;
      expect(rx.unprotectRtp(w)).toEqual(rtp(seq));
      expect(plain(jsRx.unprotectRtp(Buffer.from(w)))).toEqual(rtp(seq));
    }
    expect(tx.rolloverCounter(0x11223344, true)).toBe(1);
    expect(rx.rolloverCounter(0x11223344, false)).toBe(1);
    expect(jsRx.rolloverCounter(0x11223344)).toBe(1);
    expect(rx.unprotectRtp(late)).toEqual(rtp(65534));
    // Past the window: 200 packets on, the late one is too old.
    for (let seq = 3; seq < 203; seq++) rx.unprotectRtp(tx.protectRtp(rtp(seq))!);
    expect(rx.unprotectRtp(tx.protectRtp(rtp(65533))!)).toBeNull();
    expect(rx.stats().rtp.tooOld).toBe(1);
  });

  it('rekeys: new keys on both sides, the ROC carries on, an old-key packet fails', () => {
    const k1 = master(suite);
    const k2 = master(suite);
    const tx = native(k1);
    const rx = native(k1);
    for (const seq of [65535, 0]) expect(rx.unprotectRtp(tx.protectRtp(rtp(seq))!)).toEqual(rtp(seq));
    const old = tx.protectRtp(rtp(1))!;
    tx.configure(engineSrtpConfig(k2, k2));
    rx.configure(engineSrtpConfig(k2, k2));
    expect(rx.stats().rekeys).toBe(1);
    const fresh = tx.protectRtp(rtp(2))!;
    expect(new SrtpReceiver(k2).unprotectRtp(Buffer.from(fresh)).ok).toBe(false); // ROC 1 is in the tag (or IV): a fresh receiver guesses 0
    expect(rx.unprotectRtp(fresh)).toEqual(rtp(2));
    expect(rx.unprotectRtp(old)).toBeNull();
    expect(rx.stats().rtp.auth).toBe(1);
  });
});

it('AES_CM_128_HMAC_SHA1_32: reads libre\'s 4-octet SRTCP tag as well as the 10-octet one, and writes 4 when told', () => {
  const k = master('AES_CM_128_HMAC_SHA1_32');
  const libre = new SrtpSender(k, { srtcpTag32: 4 });
  const rx = native(k);
  expect(rx.unprotectRtcp(libre.protectRtcp(rtcp()))).toEqual(rtcp());
  expect(rx.unprotectRtcp(new SrtpSender(k).protectRtcp(rtcp(0x5555)))).toEqual(rtcp(0x5555));
  const tx = nativeSrtpContext(engineSrtpConfig(k, k, { srtcpTag32: 4 }));
  expect(tx.protectRtcp(rtcp())!.toString('hex')).toBe(new SrtpSender(k, { srtcpTag32: 4 }).protectRtcp(rtcp()).toString('hex'));
});

it('refuses to protect what is not RTP, and counts it', () => {
  const s = native(master('AES_CM_128_HMAC_SHA1_80'));
  expect(s.protectRtp(Buffer.from('hello'))).toBeNull();
  expect(s.stats().protectErrors).toBe(1);
});

it('drops a too-short packet and a new SSRC beyond maxStreams', () => {
  const k = master('AES_CM_128_HMAC_SHA1_80');
  const rx = nativeSrtpContext(engineSrtpConfig(k, k, { maxStreams: 1 }));
  const tx = native(k);
  expect(rx.unprotectRtp(Buffer.alloc(14, 0x80))).toBeNull();
  expect(rx.unprotectRtp(tx.protectRtp(rtp(1, 1))!)).toEqual(rtp(1, 1));
  expect(rx.unprotectRtp(tx.protectRtp(rtp(1, 2))!)).toBeNull();
  expect(rx.stats().rtp).toMatchObject({ tooShort: 1, streams: 1, ok: 1 });
});
