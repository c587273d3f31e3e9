/**
 * The `srtp` option end to end on the in-memory network (two real phones, a manual clock): the offer's
 * m= line and a=crypto per mode, the answer's, SRTP on the wire both ways (RTP, RTCP, RFC 4733 events),
 * tampered packets dropped and counted, the fallbacks and refusals (488 with a Warning, BYE after an
 * unusable answer), and a re-INVITE that changes keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { phoneWorld, type PhoneWorld } from '../../support/phone-world.js';
import { sineTone } from '../../support/audio-compare.js';
import type { PlaybackAudio } from '../../../src/media/wav/reader.js';
import { parseSdp } from '../../../src/sdp/index.js';
import type { Datagram } from '../../support/memory-network.js';
import type { CallSummary } from '../../../src/phone/call-types.js';
import type { SrtpMode } from '../../../src/phone/call-srtp.js';
import { callInternals } from '../../../src/phone/call-core.js';
import type { SdpMedia } from '../../../src/sdp/index.js';

let world: PhoneWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const tone = (hz: number, ms: number): PlaybackAudio => ({ samples: sineTone(hz, ms), sampleRate: 8000, durationMs: ms, source: {} as PlaybackAudio['source'] });

function setup(callee: SrtpMode | undefined, extra: { tamper?: (d: Datagram) => void } = {}) {
  const w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ rtpTimeout: 0, ...(callee ? { srtp: callee } : {}) }) } });
  world = w;
  const wire: Datagram[] = [];
  w.net.setMediaLoss((d) => {
    extra.tamper?.(d);
    wire.push({ ...d, bytes: Buffer.from(d.bytes) });
    return false;
  });
  const invites = (): string[] => w.net.summaries();
  return { w, wire, invites };
}

/** The audio m= section of the first SDP body in the log sent by `from`. */
function audioOf(w: PhoneWorld, what: 'offer' | 'answer'): SdpMedia | undefined {
  const packets = w.net['log'] as { summary: string; bytes: Buffer }[];
  const msg = packets.find((p) => (what === 'offer' ? p.summary === 'INVITE' : p.summary === '200') && p.bytes.includes('application/sdp'));
  if (!msg) return undefined;
  const text = msg.bytes.toString('latin1');
  return parseSdp(text.slice(text.indexOf('\r\n\r\n') + 4)).media[0];
}

/** RTP packets on the wire whose payload type is `pt` (the header is in clear under SRTP). */
const rtpOf = (wire: Datagram[], pt: number) => wire.filter((d) => d.to.port % 2 === 0 && d.bytes.length > 12 && (d.bytes[1]! & 0x7f) === pt);

describe('SRTP in calls (srtp option)', () => {
  it('mandatory: RTP/SAVP with two a=crypto, answered with one, SRTP both ways; tones and RFC 4733 digits get through', async () => {
    const { w, wire } = setup('mandatory');
    const call = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    await w.settle(call.answered);
    const offer = audioOf(w, 'offer')!;
    expect(offer.protocol).toBe('RTP/SAVP');
    const offered = offer.attributes.filter((a) => a.name === 'crypto').map((a) => a.value!);
    expect(offered.map((v) => v.split(' ').slice(0, 2).join(' '))).toEqual(['1 AES_CM_128_HMAC_SHA1_80', '2 AES_CM_128_HMAC_SHA1_32']);
    expect(offer.attributes.some((a) => a.name === 'rtcp-mux' || a.name === 'ice-ufrag' || a.name === 'candidate')).toBe(false);
    const answer = audioOf(w, 'answer')!;
    expect(answer.protocol).toBe('RTP/SAVP');
    const answered = answer.attributes.filter((a) => a.name === 'crypto').map((a) => a.value!);
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatch(/^1 AES_CM_128_HMAC_SHA1_80 inline:/);
    expect(answered[0]).not.toBe(offered[0]); // the answerer's own key

    const incoming = w.incoming[0]!;
    void call.play(tone(600, 3000));
    void incoming.play(tone(1000, 3000));
    const heardByCallee = incoming.waitForTone({ frequencies: [600], timeout: 2000 });
    const heardByCaller = call.waitForTone({ frequencies: [1000], timeout: 2000 });
    await w.settle(Promise.all([heardByCallee, heardByCaller]));
    await w.settle(call.sendDtmf('19#', { mode: 'rfc4733' }));
    await w.run(6000); // an RTCP report each way
    const s = await w.settle(call.hangup());
    const si = await w.settle(incoming.ended);
    expect(si.dtmf.received.map((d) => d.digit).join('')).toBe('19#');

    // What went on the wire is SRTP: a 10-byte tag on every audio packet, and no payload decodes as sent.
    const audio = rtpOf(wire, 0);
    expect(audio.length).toBeGreaterThan(100);
    expect(audio.every((d) => d.bytes.length === 12 + 160 + 10)).toBe(true);
    const events = rtpOf(wire, 101);
    expect(events.length).toBeGreaterThan(3);
    expect(events.every((d) => d.bytes.length === 12 + 4 + 10)).toBe(true);
    const rtcp = wire.filter((d) => d.to.port % 2 === 1);
    expect(rtcp.length).toBeGreaterThanOrEqual(2);
    // SRTCP: the E flag is set in the word before the tag.
    expect(rtcp.every((d) => (d.bytes[d.bytes.length - 14]! & 0x80) === 0x80)).toBe(true);

    for (const summary of [s, si] as CallSummary[]) {
      expect(summary.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', rtp: { authFailures: 0, replays: 0, dropped: 0 }, rekeys: 0 });
      expect(summary.srtp!.rtp.protected).toBe(summary.rtp!.sent.packets);
      expect(summary.srtp!.rtp.unprotected).toBeGreaterThan(100);
      expect(summary.srtp!.rtcp.protected).toBeGreaterThan(0);
      expect(summary.srtp!.rtcp.unprotected).toBeGreaterThan(0);
    }
  });

  it('tampered packets (one flipped byte) are dropped and counted, never received as audio', async () => {
    let n = 0;
    const flipped = new Set<number>();
    const { w } = setup('mandatory', {
      tamper: (d) => {
        // Every 10th RTP packet towards the caller, one payload byte flipped.
        if (d.to.address !== '192.0.2.1' || d.to.port % 2 !== 0) return;
        if (++n % 10 === 0) {
          d.bytes[20] ^= 0x01;
          flipped.add(d.bytes.readUInt16BE(2));
        }
      },
    });
    const call = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    await w.settle(call.answered);
    await w.run(2000);
    const s = await w.settle(call.hangup());
    expect(flipped.size).toBeGreaterThan(5);
    expect(s.srtp!.rtp.authFailures).toBe(flipped.size);
    expect(s.srtp!.rtp.dropped).toBe(flipped.size);
    expect(s.rtp!.received.packets).toBe(s.srtp!.rtp.unprotected);
    // The receiver sees the dropped ones as lost, not as received audio.
    expect(s.rtp!.received.lost).toBeGreaterThanOrEqual(flipped.size - 1);
  });

  it('a replayed SRTP packet is dropped and counted as a replay', async () => {
    const { w } = setup('mandatory');
    const call = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    await w.settle(call.answered);
    let copy: Datagram | undefined;
    w.net.setMediaLoss((d) => {
      if (!copy && d.to.address === '192.0.2.1' && d.to.port % 2 === 0) copy = { ...d, bytes: Buffer.from(d.bytes) };
      return false;
    });
    await w.run(500);
    w.net.sendDatagram({ ...copy!, bytes: Buffer.from(copy!.bytes) });
    w.net.sendDatagram({ ...copy!, bytes: Buffer.from(copy!.bytes) });
    await w.run(100);
    const s = await w.settle(call.hangup());
    expect(s.srtp!.rtp.replays).toBe(2);
    expect(s.srtp!.rtp.authFailures).toBe(0);
  });

  it('optional to a callee without SRTP: RTP/AVP with a=crypto, answered without, plain RTP both ways', async () => {
    const { w, wire } = setup(undefined);
    const call = w.caller.dial(w.calleeUri, { srtp: 'optional', rtpTimeout: 0 });
    await w.settle(call.answered);
    expect(audioOf(w, 'offer')!.protocol).toBe('RTP/AVP');
    expect(audioOf(w, 'offer')!.attributes.filter((a) => a.name === 'crypto')).toHaveLength(2);
    expect(audioOf(w, 'answer')!.attributes.filter((a) => a.name === 'crypto')).toHaveLength(0);
    void w.incoming[0]!.play(tone(1000, 2000));
    await w.settle(call.waitForTone({ frequencies: [1000], timeout: 2000 }));
    const s = await w.settle(call.hangup());
    expect(s.srtp).toBeUndefined();
    expect(rtpOf(wire, 0).every((d) => d.bytes.length === 172)).toBe(true);
  });

  it('optional to a callee with optional SRTP: SRTP on an RTP/AVP offer, acknowledged with RTP/SAVP (MS-SDPEXT)', async () => {
    const { w, wire } = setup('optional');
    const call = w.caller.dial(w.calleeUri, { srtp: 'optional', rtpTimeout: 0 });
    await w.settle(call.answered);
    const offer = audioOf(w, 'offer')!;
    expect(offer.protocol).toBe('RTP/AVP');
    expect(offer.attributes.find((a) => a.name === 'encryption')?.value).toBe('optional');
    // Our offer speaks Microsoft's a=encryption, so the answer takes its dialect: SAVP and the level.
    expect(audioOf(w, 'answer')!.protocol).toBe('RTP/SAVP');
    expect(audioOf(w, 'answer')!.attributes.find((a) => a.name === 'encryption')?.value).toBe('optional');
    expect(audioOf(w, 'answer')!.attributes.filter((a) => a.name === 'crypto')).toHaveLength(1);
    await w.run(1000);
    const s = await w.settle(call.hangup());
    expect(s.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(rtpOf(wire, 0).every((d) => d.bytes.length === 182)).toBe(true);
  });

  it('mandatory callee refuses a plain offer: 488 with a 399 Warning; the caller ends with no-codec', async () => {
    const { w } = setup('mandatory');
    const call = w.caller.dial(w.calleeUri, { rtpTimeout: 0 });
    const err = await w.settle(call.answered).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 488, end: { kind: 'no-codec', by: 'remote' } });
    const log = w.net['log'] as { summary: string; bytes: Buffer }[];
    const res = log.find((p) => p.summary === '488')!.bytes.toString('latin1');
    expect(res).toMatch(/\r\nWarning: 399 192\.0\.2\.2 "SRTP is mandatory here: the offer has no crypto attribute/);
  });

  it('SRTP off: an RTP/SAVP offer gets 488 (305 Warning naming SRTP)', async () => {
    const { w } = setup(undefined);
    const call = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    const err = await w.settle(call.answered).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 488 });
    const log = w.net['log'] as { summary: string; bytes: Buffer }[];
    expect(log.find((p) => p.summary === '488')!.bytes.toString('latin1')).toMatch(/Warning: 305 192\.0\.2\.2 "Incompatible media format: .*RTP\/SAVP \(SRTP, which is off here\)/);
  });

  it('mandatory caller, answer without a key (the peer ignored a=crypto): ACK then BYE, end kind srtp', async () => {
    // The callee answers optional SRTP calls plainly when the offer is on RTP/AVP... so make the caller
    // mandatory and the callee strip crypto by answering a re-written offer: simplest is a callee whose
    // answer protocol is SAVP but without a=crypto, which only a broken peer sends. Emulate it by
    // removing the a=crypto line from the 200 on the wire.
    const { w } = setup('mandatory');
    const orig = w.net.transmit.bind(w.net);
    w.net.transmit = (from, bytes, to) => {
      const text = bytes.toString('latin1');
      if (text.startsWith('SIP/2.0 200') && text.includes('a=crypto')) {
        const body = text.slice(text.indexOf('\r\n\r\n') + 4).replace(/a=crypto:[^\r\n]*\r\n/, '');
        const head = text.slice(0, text.indexOf('\r\n\r\n')).replace(/Content-Length: *\d+/i, `Content-Length: ${Buffer.byteLength(body)}`);
        bytes = Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
      }
      orig(from, bytes, to);
    };
    const call = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    const err = await w.settle(call.answered).catch((e: unknown) => e);
    expect(err).toMatchObject({ end: { kind: 'srtp', by: 'local', status: 200 } });
    expect((err as Error).message).toMatch(/SRTP: The answer has no crypto attribute: SRTP is mandatory/);
    await w.run(500);
    expect(w.net.summaries().filter((s) => /^(ACK|BYE)$/.test(s))).toEqual(['ACK', 'BYE']);
    expect(callInternals(call).media).toBeUndefined();
  });

  it('a malformed a=crypto in an offer: 488 with the reason in a 399 Warning, and the listener goes on', async () => {
    const { w } = setup('mandatory');
    const orig = w.net.transmit.bind(w.net);
    let broken = true;
    w.net.transmit = (from, bytes, to) => {
      const text = bytes.toString('latin1');
      if (broken && text.startsWith('INVITE')) {
        broken = false;
        const body = text.slice(text.indexOf('\r\n\r\n') + 4).replace(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[^\r\n]*/, 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%%%').replace(/a=crypto:2 [^\r\n]*\r\n/, '');
        const head = text.slice(0, text.indexOf('\r\n\r\n')).replace(/Content-Length: *\d+/i, `Content-Length: ${Buffer.byteLength(body)}`);
        bytes = Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
      }
      orig(from, bytes, to);
    };
    const first = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    await expect(w.settle(first.answered)).rejects.toMatchObject({ status: 488 });
    const log = w.net['log'] as { summary: string; bytes: Buffer }[];
    expect(log.find((p) => p.summary === '488')!.bytes.toString('latin1')).toMatch(/Warning: 399 192\.0\.2\.2 "Crypto key '%%%' is not valid base64"/);
    const second = w.caller.dial(w.calleeUri, { srtp: 'mandatory', rtpTimeout: 0 });
    await w.settle(second.answered);
    await w.settle(second.hangup());
  });
});
