import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LocalSdpSession,
  NoCommonCodecError,
  createAnswer,
  createOffer,
  negotiate,
  parseSdp,
  remoteHoldState,
} from '../../../src/sdp/index.js';

const samples = new URL('../../fixtures/conformance/samples/', import.meta.url);
function sampleBody(name: string): string {
  const text = readFileSync(new URL(name, samples), 'latin1');
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}
const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

const ourOffer = createOffer({ address: '192.0.2.10', port: 40000, codecs: ['PCMU', 'PCMA'], sessionId: 1234, sessionVersion: 1234 });

describe('createOffer', () => {
  it('writes the exact default offer', () => {
    expect(ourOffer).toBe(crlf([
      'v=0', 'o=- 1234 1234 IN IP4 192.0.2.10', 's=umphone', 'c=IN IP4 192.0.2.10', 't=0 0',
      'm=audio 40000 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv',
    ]));
  });
  it('IPv6, PCMA only, no events, sendonly, ptime 30, rtcp-mux', () => {
    const text = createOffer({ address: '2001:db8::1', port: 5004, codecs: ['PCMA'], telephoneEvent: false, ptime: 30, direction: 'sendonly', rtcpMux: true, sessionId: '7', username: 'ump' });
    expect(text).toBe(crlf([
      'v=0', 'o=ump 7 7 IN IP6 2001:db8::1', 's=umphone', 'c=IN IP6 2001:db8::1', 't=0 0',
      'm=audio 5004 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=ptime:30', 'a=rtcp-mux', 'a=sendonly',
    ]));
  });
  it('makes a numeric session id when none is given', () => {
    expect(parseSdp(createOffer({ address: '1.2.3.4', port: 4000 })).origin.sessionId).toMatch(/^\d+$/);
  });
});

/** Answers from real peers to `ourOffer`, and what negotiate() must make of them. */
const answers: [string, string[], { codec: string; pt: number; te: number | null; rtp: string; rtcp: string; ptime: number; direction: string }][] = [
  ['Exchange UM', ['v=0', 'o=- 0 0 IN IP4 10.0.0.5', 's=session', 'c=IN IP4 10.0.0.5', 'b=CT:1000', 't=0 0', 'm=audio 30000 RTP/AVP 0 101', 'c=IN IP4 10.0.0.5', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20'],
    { codec: 'PCMU', pt: 0, te: 101, rtp: '10.0.0.5:30000', rtcp: '10.0.0.5:30001', ptime: 20, direction: 'sendrecv' }],
  ['Asterisk, PCMA preferred, te on 96, ptime 30', ['v=0', 'o=root 1 2 IN IP4 10.0.0.7', 's=Asterisk PBX', 'c=IN IP4 10.0.0.7', 't=0 0', 'm=audio 12000 RTP/AVP 8 0 96', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-16', 'a=ptime:30', 'a=maxptime:150', 'a=sendrecv'],
    { codec: 'PCMA', pt: 8, te: 96, rtp: '10.0.0.7:12000', rtcp: '10.0.0.7:12001', ptime: 30, direction: 'sendrecv' }],
  ['Cisco CUCM: static PT without rtpmap, media-level c=, session c= elsewhere', ['v=0', 'o=CiscoSystemsCCM-SIP 2000 1 IN IP4 10.1.1.1', 's=SIP Call', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 24580 RTP/AVP 0 101', 'c=IN IP4 10.1.1.50', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15'],
    { codec: 'PCMU', pt: 0, te: 101, rtp: '10.1.1.50:24580', rtcp: '10.1.1.50:24581', ptime: 20, direction: 'sendrecv' }],
  ['Avaya with a=rtcp and recvonly', ['v=0', 'o=- 1 1 IN IP4 10.2.0.1', 's=-', 'c=IN IP4 10.2.0.1', 't=0 0', 'm=audio 2050 RTP/AVP 0 127', 'a=rtpmap:127 telephone-event/8000', 'a=rtcp:2061 IN IP4 10.2.0.9', 'a=recvonly'],
    { codec: 'PCMU', pt: 0, te: 127, rtp: '10.2.0.1:2050', rtcp: '10.2.0.9:2061', ptime: 20, direction: 'sendonly' }],
  ['baresip, no telephone-event, IPv6 media', ['v=0', 'o=- 2 3 IN IP6 2001:db8::5', 's=-', 'c=IN IP6 2001:db8::5', 't=0 0', 'm=audio 10010 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=rtcp:10011', 'a=sendrecv', 'a=label:1', 'a=ssrc:12345 cname:x'],
    { codec: 'PCMU', pt: 0, te: null, rtp: '2001:db8::5:10010', rtcp: '2001:db8::5:10011', ptime: 20, direction: 'sendrecv' }],
  ['SIPp uac_pcap style, session-level sendonly (on hold)', ['v=0', 'o=user1 53655765 2353687637 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'a=sendonly', 'm=audio 6000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-11,16'],
    { codec: 'PCMA', pt: 8, te: 101, rtp: '127.0.0.1:6000', rtcp: '127.0.0.1:6001', ptime: 20, direction: 'recvonly' }],
];

describe('negotiate (offerer reads the answer)', () => {
  it.each(answers)('%s', (_name, lines, want) => {
    const n = negotiate(ourOffer, crlf(lines));
    expect(n.codec.name).toBe(want.codec);
    expect(n.codec.payloadType).toBe(want.pt);
    expect(n.telephoneEvent?.payloadType ?? null).toBe(want.te);
    expect(`${n.remoteRtp.address}:${n.remoteRtp.port}`).toBe(want.rtp);
    expect(`${n.remoteRtcp.address}:${n.remoteRtcp.port}`).toBe(want.rtcp);
    expect(n.ptime).toBe(want.ptime);
    expect(n.direction).toBe(want.direction);
    expect(n.receivePayloadTypes.telephoneEvent).toContain(101);
    expect(n.receivePayloadTypes.comfortNoise).toEqual([13]);
  });

  it('takes the answer\'s telephone-event event list and keeps both te numberings on receive', () => {
    const n = negotiate(ourOffer, crlf(answers[1]![1]));
    expect(n.telephoneEvent).toEqual({ payloadType: 96, events: '0-16', clockRate: 8000 });
    expect(n.receivePayloadTypes.telephoneEvent).toEqual([101, 96]);
    expect(n.maxptime).toBe(150);
  });

  it('Exchange UM\'s event list "0-16,36" is kept as the peer wrote it; PCMA when the answer prefers it', () => {
    const n = negotiate(ourOffer, crlf(['v=0', 'o=- 0 0 IN IP4 10.0.0.5', 's=session', 'c=IN IP4 10.0.0.5', 't=0 0', 'm=audio 30002 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 TELEPHONE-EVENT/8000', 'a=fmtp:101 0-16,36', 'a=ptime:20']));
    expect(n.codec).toEqual({ name: 'PCMA', payloadType: 8, clockRate: 8000 });
    expect(n.telephoneEvent).toEqual({ payloadType: 101, events: '0-16,36', clockRate: 8000 });
  });

  it('answer with only G729 → NoCommonCodecError with a clear sentence', () => {
    const answer = crlf(['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 5000 RTP/AVP 18 101', 'a=rtpmap:101 telephone-event/8000']);
    expect(() => negotiate(ourOffer, answer)).toThrow(NoCommonCodecError);
    expect(() => negotiate(ourOffer, answer)).toThrow('the answer offers only G729 (18), we offered PCMU, PCMA.');
  });

  it('answer with port 0 → rejected', () => {
    const answer = crlf(['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 0 RTP/AVP 0']);
    expect(() => negotiate(ourOffer, answer)).toThrow('the answer rejected the audio stream (port 0).');
  });

  it('c=0.0.0.0 in the answer means do not send (RFC 2543 hold)', () => {
    const n = negotiate(ourOffer, crlf(['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0', 'm=audio 5000 RTP/AVP 0']));
    expect(n.onHold).toBe(true);
    expect(n.direction).toBe('recvonly');
  });

  it('rtcp-mux only when both sides say so', () => {
    const offer = createOffer({ address: '1.1.1.1', port: 4000, rtcpMux: true, sessionId: 1 });
    const n = negotiate(offer, crlf(['v=0', 'o=- 1 1 IN IP4 2.2.2.2', 's=-', 'c=IN IP4 2.2.2.2', 't=0 0', 'm=audio 6000 RTP/AVP 0', 'a=rtcp-mux']));
    expect([n.rtcpMux, n.remoteRtcp.port]).toEqual([true, 6000]);
    expect(negotiate(ourOffer, crlf(['v=0', 'o=- 1 1 IN IP4 2.2.2.2', 's=-', 'c=IN IP4 2.2.2.2', 't=0 0', 'm=audio 6000 RTP/AVP 0', 'a=rtcp-mux'])).rtcpMux).toBe(false);
  });

  it('the Asterisk capture answers our offer with PCMU and telephone-event 101', () => {
    const n = negotiate(ourOffer, sampleBody('ss-asterisk-200-sdp.sip'));
    expect([n.codec.name, n.telephoneEvent?.payloadType, n.remoteRtp.port]).toEqual(['PCMU', 101, 18656]);
  });
});

describe('createAnswer (answerer, RFC 3264 §6)', () => {
  const local = { address: '192.0.2.20', port: 41000, sessionId: 99 } as const;

  it('answers the Avaya INVITE: first offered codec we support (PCMA), its te PT, exact text', () => {
    const a = createAnswer(sampleBody('ss-avaya-invite-sdp.sip'), local);
    expect(a.sdp).toBe(crlf([
      'v=0', 'o=- 99 99 IN IP4 192.0.2.20', 's=umphone', 'c=IN IP4 192.0.2.20', 't=0 0',
      'm=audio 41000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv',
    ]));
    expect(a.audio.remoteRtcp).toEqual({ address: '10.1.1.241', port: 20027 });
    expect(a.audio.telephoneEvent).toEqual({ payloadType: 101, events: '0-15', clockRate: 8000 });
  });

  it('IMS INVITE: PCMA, te at 8000 Hz (100) not the 16 kHz one (103), AMR skipped', () => {
    const a = createAnswer(sampleBody('ims-invite-sdp.sip'), local);
    expect(a.description.media[0]!.formats).toEqual(['8', '100']);
    expect(a.audio.remoteRtp).toEqual({ address: '2409:8015:8029:9:ffff::3', port: 12345 });
  });

  it('the Netgear offer with two rtpmaps for 101 answers PCMU and 101 telephone-event', () => {
    const a = createAnswer(sampleBody('ss-netgear-invite-sdp.sip'), local);
    expect(a.description.media[0]!.formats).toEqual(['0', '101']);
  });

  it('mirrors direction and rejects other streams with port 0, keeping m= count and order', () => {
    const offer = crlf([
      'v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0',
      'm=video 5002 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
      'm=audio 5000 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x',
      'm=audio 5004 RTP/AVP 0 8', 'a=sendonly',
      'm=audio 5006 RTP/AVP 0',
    ]);
    const a = createAnswer(offer, local);
    const ms = a.description.media;
    expect(ms.map((m) => `${m.type} ${m.port} ${m.protocol} ${m.formats.join(' ')}`)).toEqual([
      'video 0 RTP/AVP 96', 'audio 0 RTP/SAVP 0', 'audio 41000 RTP/AVP 0', 'audio 0 RTP/AVP 0',
    ]);
    expect(ms[2]!.attributes.at(-1)).toEqual({ name: 'recvonly' });
    expect(a.audio.mediaIndex).toBe(2);
    expect(a.audio.onHold).toBe(true);
    expect(a.audio.telephoneEvent).toBeNull();
    expect(ms[2]!.formats).toEqual(['0']);
  });

  it.each([
    ['sendrecv', 'sendrecv'], ['sendonly', 'recvonly'], ['recvonly', 'sendonly'], ['inactive', 'inactive'],
  ])('offer %s → answer %s', (offered, answered) => {
    const offer = crlf(['v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0', 'm=audio 5000 RTP/AVP 0', `a=${offered}`]);
    expect(createAnswer(offer, local).audio.direction).toBe(answered);
  });

  it('c=0.0.0.0 offer → recvonly answer', () => {
    const offer = crlf(['v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0', 'm=audio 5000 RTP/AVP 0']);
    const a = createAnswer(offer, local);
    expect(a.description.media[0]!.attributes.at(-1)).toEqual({ name: 'recvonly' });
  });

  it('G729-only offer → NoCommonCodecError (488)', () => {
    const offer = crlf(['v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0', 'm=audio 5000 RTP/AVP 18 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']);
    expect(() => createAnswer(offer, local)).toThrow(new NoCommonCodecError('the offer offers only G729 (18), we support PCMU, PCMA.'));
  });

  it('offer without audio → NoCommonCodecError', () => {
    const offer = crlf(['v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0', 'm=image 5000 udptl t38']);
    expect(() => createAnswer(offer, local)).toThrow('the offer has no RTP/AVP audio stream, we support PCMU, PCMA.');
  });

  it('our offer answered by our answerer negotiates the same codec on both sides', () => {
    const a = createAnswer(ourOffer, { address: '192.0.2.20', port: 41000, codecs: ['PCMA', 'PCMU'] });
    const n = negotiate(ourOffer, a.sdp);
    expect([a.audio.codec.name, n.codec.name]).toEqual(['PCMU', 'PCMU']);
    expect(n.remoteRtp).toEqual({ address: '192.0.2.20', port: 41000 });
    expect(a.audio.remoteRtp).toEqual({ address: '192.0.2.10', port: 40000 });
    expect([a.audio.telephoneEvent?.payloadType, n.telephoneEvent?.payloadType]).toEqual([101, 101]);
  });
});

describe('LocalSdpSession (re-INVITEs, RFC 3264 §8)', () => {
  it('keeps the version while nothing changes and adds one per change', () => {
    const s = new LocalSdpSession({ address: '1.2.3.4', port: 4000, sessionId: '500' });
    const v = (t: string) => parseSdp(t).origin.sessionVersion;
    expect(v(s.offer())).toBe('500');
    expect(v(s.offer())).toBe('500');
    const hold = s.holdOffer();
    expect(v(hold)).toBe('501');
    expect(parseSdp(hold).media[0]!.attributes.at(-1)).toEqual({ name: 'sendonly' });
    expect(v(s.resumeOffer())).toBe('502');
    s.update({ port: 4002 });
    expect(v(s.offer())).toBe('503');
    expect(parseSdp(s.offer()).origin.sessionId).toBe('500');
  });

  it('answers a re-INVITE hold then resume with recvonly then sendrecv, versions going up', () => {
    const s = new LocalSdpSession({ address: '1.2.3.4', port: 4000, sessionId: '10' });
    const offer = (dir: string) => crlf(['v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0', 'm=audio 5000 RTP/AVP 0', `a=${dir}`]);
    const a1 = s.answer(offer('sendrecv'));
    const a2 = s.answer(offer('sendonly'));
    const a3 = s.answer(offer('sendrecv'));
    expect([a1, a2, a3].map((a) => parseSdp(a.sdp).origin.sessionVersion)).toEqual(['10', '11', '12']);
    expect(a2.audio.direction).toBe('recvonly');
    expect(a3.audio.direction).toBe('sendrecv');
  });

  it('remoteHoldState recognizes the three ways to hold', () => {
    const offer = (c: string, dir?: string) => crlf(['v=0', 'o=- 5 5 IN IP4 10.9.9.9', 's=-', `c=IN IP4 ${c}`, 't=0 0', 'm=audio 5000 RTP/AVP 0', ...(dir ? [`a=${dir}`] : [])]);
    expect(remoteHoldState(offer('10.0.0.1'))).toEqual({ onHold: false, reason: null, direction: 'sendrecv' });
    expect(remoteHoldState(offer('10.0.0.1', 'sendonly')).reason).toBe('sendonly');
    expect(remoteHoldState(offer('10.0.0.1', 'inactive')).reason).toBe('inactive');
    expect(remoteHoldState(offer('0.0.0.0')).reason).toBe('null-address');
  });
});
