/** SrtpSender → SrtpReceiver: round trips, sequence wrap, replay, tampering, SRTCP, MKI, rekey. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { writeRtpHeader } from '../../../../src/rtp/packet.js';
import {
  SRTP_SUITE_NAMES,
  SRTP_SUITES,
  SrtpKeyError,
  SrtpProtectError,
  SrtpReceiver,
  SrtpSender,
  type SrtpMasterKey,
  type SrtpResult,
  type SrtpSuiteName,
} from '../../../../src/rtp/srtp/index.js';

function master(suite: SrtpSuiteName, mki?: Buffer): SrtpMasterKey {
  const s = SRTP_SUITES[suite];
  return { suite, key: randomBytes(s.keyLength), salt: randomBytes(s.saltLength), ...(mki ? { mki } : {}) };
}

/** A 172-byte PCMU packet: 12-byte header, 160 payload bytes that say which packet this is. */
function rtp(seq: number, ssrc = 0x11223344, payloadLength = 160): Buffer {
  const b = Buffer.alloc(12 + payloadLength, seq & 0xff);
  writeRtpHeader(b, { payloadType: 0, marker: false, sequence: seq & 0xffff, timestamp: seq * 160, ssrc });
  return b;
}

function rtcp(ssrc = 0x11223344): Buffer {
  // An RR with one report block: 8 bytes clear, 24 encrypted.
  const b = Buffer.alloc(32, 0x5a);
  b.writeUInt16BE(0x81c9, 0);
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

function plain(r: SrtpResult): Buffer {
  if (!r.ok) throw new Error(`dropped: ${r.reason}`);
  return r.packet;
}

describe.each(SRTP_SUITE_NAMES)('%s', (suite) => {
  const s = SRTP_SUITES[suite];

  it('round-trips RTP: the header stays clear, the payload does not, the tag is the suite length', () => {
    const k = master(suite);
    const tx = new SrtpSender(k);
    const rx = new SrtpReceiver(k);
    const p = rtp(1);
    const wire = tx.protectRtp(p);
    expect(wire.length).toBe(p.length + s.rtpTagLength);
    expect(wire.subarray(0, 12)).toEqual(p.subarray(0, 12));
    expect(wire.subarray(12, 172).equals(p.subarray(12))).toBe(false);
    expect(plain(rx.unprotectRtp(wire))).toEqual(p);
    expect(rx.ssrcs).toEqual([0x11223344]);
    expect(rx.counters.rtp.ok).toBe(1);
  });

  it('carries the ROC across 65535 → 0 and still decrypts a late packet from before the wrap', () => {
    const k = master(suite);
    const tx = new SrtpSender(k);
    const rx = new SrtpReceiver(k);
    const wires = new Map<number, Buffer>();
    for (let i = 0; i < 12; i++) wires.set(65530 + i, tx.protectRtp(rtp(65530 + i)));
    expect(tx.rolloverCounter(0x11223344)).toBe(1);
    for (const seq of [65530, 65531, 65532, 65533, 65536, 65537, 65538]) {
      expect(plain(rx.unprotectRtp(Buffer.from(wires.get(seq)!))), `seq ${seq}`).toEqual(rtp(seq));
    }
    expect(rx.rolloverCounter(0x11223344)).toBe(1);
    // 65535 was held back by the network: it arrives after 2 (index 65538) and belongs to ROC 0.
    expect(plain(rx.unprotectRtp(Buffer.from(wires.get(65535)!)))).toEqual(rtp(65535));
    expect(plain(rx.unprotectRtp(Buffer.from(wires.get(65534)!)))).toEqual(rtp(65534));
    expect(rx.rolloverCounter(0x11223344)).toBe(1);
    expect(rx.counters.rtp).toMatchObject({ ok: 9, auth: 0 });
  });

  it('rejects a replayed packet and one older than the window, counting each', () => {
    const k = master(suite);
    const tx = new SrtpSender(k);
    const rx = new SrtpReceiver(k, { replayWindow: 64 });
    const first = tx.protectRtp(rtp(1));
    const copy = Buffer.from(first);
    plain(rx.unprotectRtp(first));
    expect(rx.unprotectRtp(copy)).toEqual({ ok: false, reason: 'replay' });
    const old = tx.protectRtp(rtp(2));
    for (let seq = 3; seq <= 100; seq++) plain(rx.unprotectRtp(tx.protectRtp(rtp(seq))));
    expect(rx.unprotectRtp(old)).toEqual({ ok: false, reason: 'too-old' });
    expect(rx.counters.rtp).toMatchObject({ ok: 99, replay: 1, 'too-old': 1 });
  });

  it('rejects every single flipped bit of a protected packet as an authentication failure, unchanged', () => {
    const k = master(suite);
    const wire = new SrtpSender(k).protectRtp(rtp(7, 0x11223344, 40));
    const rx = new SrtpReceiver(k);
    let rejected = 0;
    for (let bit = 0; bit < wire.length * 8; bit++) {
      const bad = Buffer.from(wire);
      bad[bit >> 3]! ^= 0x80 >> (bit & 7);
      // The first octet (version, X, CC) shapes the header, which is checked before the tag: a bit
      // there may make the packet malformed instead. Every other bit must fail authentication.
      const copy = Buffer.from(bad);
      const r = rx.unprotectRtp(bad);
      expect(r.ok, `bit ${bit}`).toBe(false);
      if (!r.ok) expect(bit < 8 ? ['malformed', 'auth'] : ['auth'], `bit ${bit}`).toContain(r.reason);
      if (bit < 2) expect(r, `bit ${bit}`).toEqual({ ok: false, reason: 'malformed' });
      expect(bad.equals(copy), `bit ${bit}: the buffer must not be decrypted`).toBe(true);
      rejected++;
    }
    expect(rx.counters.rtp.auth + rx.counters.rtp.malformed).toBe(rejected);
    expect(rx.counters.rtp.auth).toBeGreaterThanOrEqual(rejected - 8);
    expect(rx.ssrcs).toEqual([]);
    expect(plain(rx.unprotectRtp(wire))).toEqual(rtp(7, 0x11223344, 40));
  });

  it('round-trips SRTCP with a rising 31-bit index and the E flag, and rejects its replay', () => {
    const k = master(suite);
    const tx = new SrtpSender(k);
    const rx = new SrtpReceiver(k);
    const tag = s.rtcpTagLength;
    for (let i = 0; i < 3; i++) {
      const wire = tx.protectRtcp(rtcp());
      expect(wire.length).toBe(32 + 4 + tag);
      const wordAt = s.aead ? 32 + tag : 32;
      expect(wire.readUInt32BE(wordAt)).toBe((0x80000000 | i) >>> 0);
      expect(wire.subarray(8, 32).equals(rtcp().subarray(8))).toBe(false);
      const copy = Buffer.from(wire);
      const r = rx.unprotectRtcp(wire);
      expect(r).toMatchObject({ ok: true, ssrc: 0x11223344, index: i });
      expect(plain(r)).toEqual(rtcp());
      expect(rx.unprotectRtcp(copy)).toEqual({ ok: false, reason: 'replay' });
    }
    const bad = tx.protectRtcp(rtcp());
    bad[10]! ^= 1;
    expect(rx.unprotectRtcp(bad)).toEqual({ ok: false, reason: 'auth' });
    expect(rx.counters.rtcp).toMatchObject({ ok: 3, replay: 3, auth: 1 });
  });

  it('sends SRTCP unencrypted under UNENCRYPTED_SRTCP (E flag clear) and RTP in clear under UNENCRYPTED_SRTP', () => {
    const k = master(suite);
    const tx = new SrtpSender(k, { encryptRtp: false, encryptRtcp: false });
    const rx = new SrtpReceiver(k, { encryptRtp: false });
    const wire = tx.protectRtcp(rtcp());
    expect(wire.subarray(0, 32)).toEqual(rtcp());
    expect(wire.readUInt32BE(s.aead ? 32 + s.rtcpTagLength : 32) >>> 31).toBe(0);
    expect(plain(rx.unprotectRtcp(wire))).toEqual(rtcp());
    const r = tx.protectRtp(rtp(3));
    expect(r.subarray(0, 172)).toEqual(rtp(3));
    expect(plain(rx.unprotectRtp(r))).toEqual(rtp(3));
    const next = tx.protectRtp(rtp(4));
    next[100]! ^= 4;
    expect(rx.unprotectRtp(next)).toEqual({ ok: false, reason: 'auth' });
  });

  it('carries a 4-byte MKI between payload and tag (after the tag for AEAD) and drops an unknown MKI', () => {
    const mki = Buffer.from([0, 0, 0, 7]);
    const k = master(suite, mki);
    const wire = new SrtpSender(k).protectRtp(rtp(9));
    expect(wire.length).toBe(172 + 4 + s.rtpTagLength);
    const mkiAt = s.aead ? 172 + s.rtpTagLength : 172;
    expect(wire.subarray(mkiAt, mkiAt + 4)).toEqual(mki);
    const rx = new SrtpReceiver(k);
    const other = Buffer.from(wire);
    other[mkiAt + 3] = 8;
    expect(rx.unprotectRtp(other)).toEqual({ ok: false, reason: 'mki' });
    expect(plain(rx.unprotectRtp(wire))).toEqual(rtp(9));
    const srtcp = new SrtpSender(k).protectRtcp(rtcp());
    expect(plain(rx.unprotectRtcp(srtcp))).toEqual(rtcp());
  });

  it('switches to a new master key on rekey, keeping the ROC; packets under the old key then fail', () => {
    const k1 = master(suite);
    const k2 = master(suite);
    const tx = new SrtpSender(k1);
    const rx = new SrtpReceiver(k1);
    for (let seq = 65534; seq <= 65537; seq++) plain(rx.unprotectRtp(tx.protectRtp(rtp(seq))));
    const stale = tx.protectRtp(rtp(65538));
    tx.rekey(k2);
    rx.rekey(k2);
    expect(plain(rx.unprotectRtp(tx.protectRtp(rtp(65539))))).toEqual(rtp(65539));
    expect(rx.rolloverCounter(0x11223344)).toBe(1);
    expect(rx.unprotectRtp(stale)).toEqual({ ok: false, reason: 'auth' });
  });

  it('learns each SSRC from its first authenticated packet, up to maxStreams', () => {
    const k = master(suite);
    const tx = new SrtpSender(k);
    const rx = new SrtpReceiver(k, { maxStreams: 2 });
    const forged = tx.protectRtp(rtp(1, 0xaaaa));
    forged.writeUInt32BE(0xbbbb, 8);
    expect(rx.unprotectRtp(forged)).toEqual({ ok: false, reason: 'auth' });
    expect(rx.ssrcs).toEqual([]);
    plain(rx.unprotectRtp(tx.protectRtp(rtp(1, 0xaaaa))));
    plain(rx.unprotectRtp(tx.protectRtp(rtp(500, 0xcccc))));
    expect(rx.unprotectRtp(tx.protectRtp(rtp(1, 0xdddd)))).toEqual({ ok: false, reason: 'streams' });
    expect(rx.ssrcs).toEqual([0xaaaa, 0xcccc]);
  });
});

describe('SRTP edge cases', () => {
  it('counts datagrams too short for header and tag', () => {
    const k = master('AES_CM_128_HMAC_SHA1_80');
    const rx = new SrtpReceiver(k);
    expect(rx.unprotectRtp(Buffer.alloc(21))).toEqual({ ok: false, reason: 'too-short' });
    expect(rx.unprotectRtcp(Buffer.alloc(21))).toEqual({ ok: false, reason: 'too-short' });
    expect(rx.counters.rtp['too-short']).toBe(1);
    expect(rx.counters.rtcp['too-short']).toBe(1);
  });

  it('accepts libre-style 4-byte SRTCP tags under AES_CM_128_HMAC_SHA1_32 and sends them when told', () => {
    const k = master('AES_CM_128_HMAC_SHA1_32');
    const tx = new SrtpSender(k, { srtcpTag32: 4 });
    const rx = new SrtpReceiver(k);
    const wire = tx.protectRtcp(rtcp());
    expect(wire.length).toBe(32 + 4 + 4);
    expect(plain(rx.unprotectRtcp(wire))).toEqual(rtcp());
    // The same receiver still takes RFC 3711's 10-byte tag from another sender (next index).
    const other = new SrtpSender(k);
    other.protectRtcp(rtcp());
    const ten = other.protectRtcp(rtcp());
    expect(ten.length).toBe(32 + 4 + 10);
    expect(plain(rx.unprotectRtcp(ten))).toEqual(rtcp());
  });

  it('refuses master keys of the wrong length and non-RTP input to protect', () => {
    expect(() => new SrtpSender({ suite: 'AES_CM_128_HMAC_SHA1_80', key: randomBytes(16), salt: randomBytes(12) })).toThrow(
      new SrtpKeyError('AES_CM_128_HMAC_SHA1_80 needs a 14-byte master salt, got 12 bytes'),
    );
    const tx = new SrtpSender(master('AEAD_AES_128_GCM'));
    expect(() => tx.protectRtp(Buffer.alloc(8))).toThrow(SrtpProtectError);
    expect(() => tx.protectRtcp(Buffer.alloc(4))).toThrow(SrtpProtectError);
  });
});
