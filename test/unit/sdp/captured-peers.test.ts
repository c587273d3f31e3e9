import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAnswer, createOffer, negotiate, parseSdp, serializeSdp } from '../../../src/sdp/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'latin1');
/** The offer both captured answers replied to. */
const offer = createOffer({ address: '127.0.0.1', port: 40000, sessionId: 1 });

describe('SDP captured from real peers on this machine', () => {
  it.each(['baresip-1.0.0-offer.sdp', 'baresip-1.0.0-answer.sdp', 'sipp-3.6.1-uas-answer.sdp'])('%s round-trips byte for byte', (name) => {
    const body = fixture(name);
    expect(serializeSdp(parseSdp(body))).toBe(body);
  });

  it('baresip answering our offer: PCMU, telephone-event 101 with 0-15, ptime 20, RTCP on port + 1', () => {
    const n = negotiate(offer, fixture('baresip-1.0.0-answer.sdp'));
    expect(n).toMatchObject({
      remoteRtp: { address: '127.0.0.1', port: 29042 },
      remoteRtcp: { address: '127.0.0.1', port: 29043 },
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEvent: { payloadType: 101, events: '0-15' },
      ptime: 20,
      direction: 'sendrecv',
      onHold: false,
      rtcpMux: false,
    });
  });

  it('SIPp answering our offer: PCMU only, no telephone-event', () => {
    const n = negotiate(offer, fixture('sipp-3.6.1-uas-answer.sdp'));
    expect(n).toMatchObject({ remoteRtp: { address: '127.0.0.1', port: 36000 }, codec: { name: 'PCMU', payloadType: 0 }, telephoneEvent: null });
  });

  it('answering baresip\'s offer: PCMU and 101, and baresip\'s side reads our answer the same way', () => {
    const theirs = fixture('baresip-1.0.0-offer.sdp');
    const a = createAnswer(theirs, { address: '127.0.0.1', port: 40100, codecs: ['PCMA', 'PCMU'], sessionId: 5 });
    expect(a.description.media[0]!.formats).toEqual(['0', '101']);
    expect(a.audio).toMatchObject({ remoteRtp: { port: 29882 }, codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101, events: '0-15' } });
    const back = negotiate(theirs, a.sdp);
    expect(back).toMatchObject({ remoteRtp: { address: '127.0.0.1', port: 40100 }, codec: { name: 'PCMU', payloadType: 0 }, telephoneEvent: { payloadType: 101, events: '0-16' } });
  });
});
