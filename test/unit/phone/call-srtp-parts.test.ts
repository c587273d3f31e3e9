/**
 * The parts of a call's SRTP without the call: CallSrtp's offer/answer decisions and SrtpSocket's
 * packets, two sides wired back to back over fake sockets. The re-INVITE cases: a re-offer repeating
 * the line we answered keeps our key (no rekey); a re-offer with a new key rekeys both directions, and
 * packets under the old key then fail authentication.
 */
import { describe, expect, it } from 'vitest';
import { CallSrtp, decideSrtpAnswer, parseSrtpSuites, srtpOfferProblem, type SrtpSocket } from '../../../src/phone/call-srtp.js';
import type { MediaSocket } from '../../../src/phone/media-types.js';
import type { RemoteAddress } from '../../../src/rtp/receiver.js';
import { writeRtpHeader } from '../../../src/rtp/packet.js';
import { createAnswer, createOffer, parseSdp, type SdpMedia } from '../../../src/sdp/index.js';
import { SpellingError } from '../../../src/util/errors.js';

const FROM: RemoteAddress = { address: '192.0.2.9', port: 4000 };

/** A socket whose sends land in `out` and whose receive handler the test calls through `deliver`. */
function fakeSocket() {
  const out: Buffer[] = [];
  let rtp: ((d: Buffer, from: RemoteAddress) => void) | undefined;
  const socket: MediaSocket = {
    address: '192.0.2.1', rtpPort: 4000,
    rtpSendSocket: { send: (p) => void out.push(Buffer.from(p)) },
    onRtp: (h) => { rtp = h; },
    onRtcp: () => undefined,
    sendRtcp: (d) => void out.push(Buffer.from(d)),
    close: () => Promise.resolve(),
  };
  return { socket, out, deliver: (d: Buffer) => rtp?.(d, FROM) };
}

function rtpPacket(seq: number, fill = 0x55): Buffer {
  const p = Buffer.alloc(12 + 160, fill);
  writeRtpHeader(p, { payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 0xabcdef01, marker: false });
  return p;
}

function media(protocol: string, crypto: string[], extra: string[] = []): SdpMedia {
  return parseSdp(sdpText(protocol, crypto, extra)).media[0]!;
}

function sdpText(protocol: string, crypto: string[], extra: string[] = []): string {
  return ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', `m=audio 4000 ${protocol} 0`, 'a=rtpmap:0 PCMU/8000', ...crypto.map((c) => `a=crypto:${c}`), ...extra, ''].join('\r\n');
}

const KEY = `inline:${Buffer.alloc(30, 7).toString('base64')}|2^31|1:1`;

function cryptoValues(opts: { crypto?: { tag: number; suite: string; keys: { keySalt: Buffer }[] }[] }): string[] {
  return (opts.crypto ?? []).map((c) => `${c.tag} ${c.suite} inline:${c.keys[0]!.keySalt.toString('base64')}`);
}

/** A placed side (offerer) and an answered side, keyed through one offer/answer. */
function pair(offererMode: 'optional' | 'mandatory' = 'mandatory') {
  const a = new CallSrtp({ mode: offererMode });
  const b = new CallSrtp({ mode: 'mandatory' });
  const sa = fakeSocket();
  const sb = fakeSocket();
  const wa = a.wrap(sa.socket) as SrtpSocket;
  const wb = b.wrap(sb.socket) as SrtpSocket;
  const offer = a.offerOptions();
  const offered = media(offer.protocol!, cryptoValues(offer));
  const hook = b.answerHook()!;
  const ours = hook(offered)!;
  const answer = media(offer.protocol!, [`${ours.tag} ${ours.suite} inline:${ours.keys[0]!.keySalt.toString('base64')}`]);
  a.acceptAnswer({ ...parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n'), media: [answer] }, 0);
  const received: Buffer[] = [];
  wb.onRtp((d) => received.push(Buffer.from(d)));
  /** a sends one RTP packet to b. */
  const send = (seq: number): Buffer => {
    wa.rtpSendSocket.send(rtpPacket(seq), 4000, '192.0.2.2');
    const wire = sa.out.pop()!;
    sb.deliver(Buffer.from(wire));
    return wire;
  };
  return { a, b, wa, wb, sa, sb, offered, ours, hook, received, send };
}

describe('CallSrtp and SrtpSocket', () => {
  it('keys both sides from one offer/answer: what a protects, b decrypts to the packet sent', () => {
    const p = pair();
    const wire = p.send(1);
    expect(wire.length).toBe(172 + 10);
    expect(wire.subarray(12, 172).equals(rtpPacket(1).subarray(12))).toBe(false);
    expect(p.received).toEqual([rtpPacket(1)]);
    expect(p.b.summary()).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', rtp: { unprotected: 1, authFailures: 0 }, rekeys: 0 });
    expect(p.a.summary()).toMatchObject({ rtp: { protected: 1 } });
  });

  it('a re-offer repeating the answered line gets the same answer: no rekey, the stream goes on', () => {
    const p = pair();
    p.send(1);
    const again = p.hook(p.offered)!;
    expect(again).toBe(p.ours);
    p.send(2);
    expect(p.received).toHaveLength(2);
    expect(p.b.summary()!.rekeys).toBe(0);
  });

  it('a re-offer with a new key rekeys: packets under the new key decrypt, under the old one fail as auth', () => {
    const p = pair();
    p.send(1);
    // The peer re-INVITEs with a fresh key (another offerer's lines), we answer with a fresh key of ours.
    const other = new CallSrtp({ mode: 'mandatory' });
    const so = fakeSocket();
    const wo = other.wrap(so.socket) as SrtpSocket;
    const reoffer = other.offerOptions();
    const ours = p.hook(media('RTP/SAVP', cryptoValues(reoffer)))!;
    other.acceptAnswer({ ...parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n'), media: [media('RTP/SAVP', [`${ours.tag} ${ours.suite} inline:${ours.keys[0]!.keySalt.toString('base64')}`])] }, 0);
    expect(p.b.summary()!.rekeys).toBe(1);
    // Same SSRC, sequence numbers going on: the new key's packets are accepted.
    wo.rtpSendSocket.send(rtpPacket(2), 4000, '192.0.2.2');
    p.sb.deliver(so.out.pop()!);
    expect(p.received).toHaveLength(2);
    // The old key's packets no longer authenticate.
    p.send(3);
    expect(p.received).toHaveLength(2);
    expect(p.b.summary()!.rtp.authFailures).toBe(1);
    // And what b sends now is under its new key: the re-offerer decrypts it.
    const got: Buffer[] = [];
    wo.onRtp((d) => got.push(Buffer.from(d)));
    p.wb.rtpSendSocket.send(rtpPacket(7), 4000, '192.0.2.1');
    so.deliver(p.sb.out.pop()!);
    expect(got).toEqual([rtpPacket(7)]);
  });

  it('before the answer nothing goes out and nothing comes in; optional without a key in the answer is plain', () => {
    const a = new CallSrtp({ mode: 'optional' });
    const s = fakeSocket();
    const w = a.wrap(s.socket) as SrtpSocket;
    const got: Buffer[] = [];
    w.onRtp((d) => got.push(d));
    w.rtpSendSocket.send(rtpPacket(1), 4000, '192.0.2.2');
    s.deliver(rtpPacket(1));
    expect(s.out).toEqual([]);
    expect(got).toEqual([]);
    const offer = a.offerOptions();
    expect(offer.protocol).toBe('RTP/AVP');
    a.acceptAnswer({ ...parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n'), media: [media('RTP/AVP', [])] }, 0);
    w.rtpSendSocket.send(rtpPacket(2), 4000, '192.0.2.2');
    s.deliver(rtpPacket(3));
    expect(s.out).toEqual([rtpPacket(2)]);
    expect(got).toEqual([rtpPacket(3)]);
    expect(a.summary()).toBeUndefined();
  });

  it.each([
    ['mandatory', 'RTP/AVP', [], /SRTP is mandatory here: the offer has no crypto attribute/],
    ['optional', 'RTP/SAVP', [], /No crypto attribute in an RTP\/SAVP offer/],
    ['optional', 'RTP/SAVP', ['1 AES_256_CM_HMAC_SHA1_80 inline:AAAA'], /Unsupported crypto suite AES_256_CM_HMAC_SHA1_80/],
    ['mandatory', 'RTP/AVP', ['1 AES_CM_128_HMAC_SHA1_80 inline:!!'], /not valid base64/],
  ] as const)('%s, %s offer %j: refused with its Warning text', (mode, proto, lines, text) => {
    const problem = srtpOfferProblem(mode, undefined, media(proto, [...lines]));
    expect(problem?.warning).toMatch(text);
    expect(problem?.warningHeader('192.0.2.2')).toMatch(/^399 192\.0\.2\.2 "/);
  });

  it('optional answers plain RTP when RTP/AVP carries keys it cannot use (best effort), and SRTP when it can', () => {
    expect(decideSrtpAnswer('optional', undefined, media('RTP/AVP', ['1 AES_256_CM_HMAC_SHA1_80 inline:AAAA']))).toBe('plain');
    expect(decideSrtpAnswer('optional', undefined, media('RTP/AVP', []))).toBe('plain');
    const d = decideSrtpAnswer('optional', ['AES_CM_128_HMAC_SHA1_32'], media('RTP/AVP', [
      `1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 1).toString('base64')}`,
      `2 AES_CM_128_HMAC_SHA1_32 inline:${Buffer.alloc(30, 2).toString('base64')}`,
    ]));
    expect(d).not.toBe('plain');
    expect(d !== 'plain' && [d.crypto.tag, d.crypto.suite]).toEqual([2, 'AES_CM_128_HMAC_SHA1_32']);
  });

  describe("Microsoft's a=encryption (MS-SDP §3.1.5.4, MS-SDPEXT: Lync/Skype, Exchange UM, Teams SBCs)", () => {
    it('our offers carry the level: optional on RTP/AVP, required on RTP/SAVP; off carries none', () => {
      expect(new CallSrtp({ mode: 'optional' }).offerOptions()).toMatchObject({ protocol: 'RTP/AVP', encryption: 'optional' });
      expect(new CallSrtp({ mode: 'mandatory' }).offerOptions()).toMatchObject({ protocol: 'RTP/SAVP', encryption: 'required' });
      expect(new CallSrtp({ mode: 'off' }).offerOptions()).toEqual({});
      const sdp = createOffer({ address: '192.0.2.1', port: 4000, ...new CallSrtp({ mode: 'optional' }).offerOptions() });
      expect(sdp).toMatch(/\r\na=encryption:optional\r\n/);
    });

    it('a Lync-style RTP/AVP offer with a=encryption:required and an MKI key is answered RTP/SAVP with our key and the level', () => {
      const offer = sdpText('RTP/AVP', [`2 AES_CM_128_HMAC_SHA1_80 ${KEY}`], ['a=encryption:required']);
      const b = new CallSrtp({ mode: 'optional' });
      const a = createAnswer(offer, { address: '192.0.2.2', port: 5000, answerCrypto: b.answerHook()! });
      const m = a.description.media[0]!;
      expect(m.protocol).toBe('RTP/SAVP');
      expect(m.attributes.find((x) => x.name === 'encryption')?.value).toBe('required');
      expect(m.attributes.find((x) => x.name === 'crypto')?.value).toMatch(/^2 AES_CM_128_HMAC_SHA1_80 inline:/);
    });

    it('a=encryption:required that cannot be met is refused (488): SRTP off, no key, or only keys we cannot use', () => {
      const required = ['a=encryption:required'];
      // SRTP off: no answer hook, the stream cannot be answered plain.
      expect(() => createAnswer(sdpText('RTP/AVP', [`1 AES_CM_128_HMAC_SHA1_80 ${KEY}`], required), { address: '192.0.2.2', port: 5000 }))
        .toThrow(/a=encryption:required \(SRTP, which is off here\)/);
      expect(() => decideSrtpAnswer('optional', undefined, media('RTP/AVP', [], required))).toThrow(/Encryption Levels not compatible/);
      expect(srtpOfferProblem('optional', undefined, media('RTP/AVP', ['1 AES_256_CM_HMAC_SHA1_80 inline:AAAA'], required))).toBeDefined();
      // The same unusable key without the requirement is best effort: plain RTP.
      expect(decideSrtpAnswer('optional', undefined, media('RTP/AVP', ['1 AES_256_CM_HMAC_SHA1_80 inline:AAAA'], ['a=encryption:optional']))).toBe('plain');
    });

    it('a=encryption:rejected: plain answer with the level under optional, 488 under mandatory, either way round', () => {
      const offer = sdpText('RTP/AVP', [], ['a=encryption:rejected']);
      const a = createAnswer(offer, { address: '192.0.2.2', port: 5000, answerCrypto: new CallSrtp({ mode: 'optional' }).answerHook()! });
      expect(a.description.media[0]!.protocol).toBe('RTP/AVP');
      expect(a.description.media[0]!.attributes.find((x) => x.name === 'encryption')?.value).toBe('rejected');
      expect(() => decideSrtpAnswer('mandatory', undefined, media('RTP/AVP', [], ['a=encryption:rejected']))).toThrow(/rejects encryption/);
      // Placing: an answer that rejects encryption ends a mandatory call, and is plain RTP for an optional one.
      const answer = { ...parseSdp(sdpText('RTP/AVP', [], ['a=encryption:rejected'])) };
      const mandatory = new CallSrtp({ mode: 'mandatory' });
      mandatory.offerOptions();
      expect(() => mandatory.acceptAnswer(answer, 0)).toThrow(/SRTP is mandatory/);
      const optional = new CallSrtp({ mode: 'optional' });
      const ws = optional.wrap(fakeSocket().socket) as SrtpSocket;
      optional.offerOptions();
      optional.acceptAnswer(answer, 0);
      expect(ws.secured).toBe(false);
    });

    it('placing optional: an RTP/SAVP answer to our RTP/AVP offer (the MS acknowledgement) keys SRTP', () => {
      const caller = new CallSrtp({ mode: 'optional' });
      const ws = caller.wrap(fakeSocket().socket) as SrtpSocket;
      const offered = caller.offerOptions().crypto![0]!;
      caller.acceptAnswer(parseSdp(sdpText('RTP/SAVP', [`${offered.tag} ${offered.suite} ${KEY}`], ['a=encryption:optional'])), 0);
      expect(ws.secured).toBe(true);
    });
  });

  it('parseSrtpSuites: any case, in order; unknown or repeated names are SpellingErrors', () => {
    expect(parseSrtpSuites('aead_aes_128_gcm, AES_CM_128_HMAC_SHA1_80')).toEqual(['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80']);
    expect(() => parseSrtpSuites('F8_128_HMAC_SHA1_80')).toThrow(SpellingError);
    expect(() => parseSrtpSuites('')).toThrow(SpellingError);
  });
});
