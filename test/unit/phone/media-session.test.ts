/**
 * Two MediaSessions joined by the memory network's RTP sockets on one ManualClock: what one plays the
 * other hears (through G.711 and the jitter buffer), a recording is a valid WAV of it, DTMF goes across
 * by RFC 4733 and in-band, hold stops the sending, and stop() finalizes and releases what waits.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { Pacer } from '../../../src/rtp/pacer.js';
import { createAnswer, createOffer, negotiate, type NegotiatedAudio } from '../../../src/sdp/index.js';
import { MediaSession, type DtmfSettings } from '../../../src/phone/media-session.js';
import type { DtmfDigitEvent } from '../../../src/media/dtmf/index.js';
import { readWavInfo } from '../../../src/media/wav/reader.js';
import { MemoryNetwork } from '../../support/memory-network.js';
import { promptAudio } from '../../support/phone-world.js';
import { alignAndCorrelate, readWav } from '../../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-media-'));

function sessions(o: { dtmf?: DtmfSettings } = {}) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock);
  const pacer = new Pacer({ clock });
  const sa = net.openMediaSocket('192.0.2.1');
  const sb = net.openMediaSocket('192.0.2.2');
  const offer = createOffer({ address: '192.0.2.1', port: sa.rtpPort, codecs: ['PCMU', 'PCMA'] });
  const answer = createAnswer(offer, { address: '192.0.2.2', port: sb.rtpPort, codecs: ['PCMU', 'PCMA'] });
  const make = (socket: typeof sa, negotiated: NegotiatedAudio) =>
    new MediaSession({ clock, pacer, socket, negotiated, ...(o.dtmf ? { dtmf: o.dtmf } : {}) });
  const a = make(sa, negotiate(offer, answer.sdp));
  const b = make(sb, answer.audio);
  a.start();
  b.start();
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += 5) clock.advance(5);
  };
  return { clock, net, a, b, run, answer };
}

describe('MediaSession over the memory network', () => {
  it('what one side plays the other hears, and records to a valid WAV that matches it', async () => {
    const s = sessions();
    const prompt = promptAudio('enter-pin.wav');
    const heard: Int16Array[] = [];
    s.b.onFrame((pcm) => heard.push(pcm));
    const path = join(dir, 'heard.wav');
    const rec = s.b.record(path);
    let played = false;
    void s.a.play(prompt).then(() => { played = true; });
    s.run(prompt.durationMs + 500);
    await Promise.resolve();
    expect(played).toBe(true);
    rec.stop();
    const info = readWavInfo(readFileSync(path), path);
    expect(info.sampleRate).toBe(8000);
    expect(info.channels).toBe(1);
    expect(Math.abs(info.durationMs - rec.durationMs)).toBeLessThanOrEqual(20);
    expect(alignAndCorrelate(prompt.samples, readWav(path).samples, { maxLagMs: 500 }).correlation).toBeGreaterThan(0.99);
    const frames = new Int16Array(heard.length * 160);
    heard.forEach((f, i) => frames.set(f, i * 160));
    expect(alignAndCorrelate(prompt.samples, frames, { maxLagMs: 500 }).correlation).toBeGreaterThan(0.99);
    const st = s.b.stats();
    expect(st.received.lost).toBe(0);
    expect(st.received.packetsReceived).toBeGreaterThanOrEqual(Math.floor(prompt.durationMs / 20));
  });

  it.each([['rfc4733'], ['inband']] as const)('DTMF goes across by %s, every key in order, and the sender resolves', async (mode) => {
    const s = sessions({ dtmf: { mode } });
    const got: DtmfDigitEvent[] = [];
    s.b.onDigit((d) => got.push(d));
    let sent = false;
    void s.a.sendDtmf('0123456789*#ABCD').then(() => { sent = true; });
    s.run(6_000);
    await Promise.resolve();
    expect(sent).toBe(true);
    expect(got.map((d) => d.digit).join('')).toBe('0123456789*#ABCD');
    expect(new Set(got.map((d) => d.method))).toEqual(new Set([mode]));
    expect(s.a.digitsSent.map((d) => d.digit).join('')).toBe('0123456789*#ABCD');
  });

  it('on hold (the peer said sendonly) sends nothing, and sends again on resume', () => {
    const s = sessions();
    s.run(1_000);
    const before = s.a.stats().sent.packets;
    expect(before).toBeGreaterThan(40);
    s.a.update({ ...s.a.negotiatedAudio, onHold: true });
    s.run(1_000);
    const held = s.a.stats().sent.packets;
    expect(held - before).toBeLessThanOrEqual(1);
    s.a.update({ ...s.a.negotiatedAudio, onHold: false });
    s.run(1_000);
    expect(s.a.stats().sent.packets - held).toBeGreaterThan(40);
  });

  it('stop() finalizes the recordings, ends the playback and releases a pending DTMF send', async () => {
    const s = sessions({ dtmf: { mode: 'rfc4733' } });
    const path = join(dir, 'stopped.wav');
    const rec = s.b.record(path);
    let played = false;
    let sent = false;
    void s.a.play(promptAudio('enter-pin.wav')).then(() => { played = true; });
    void s.a.sendDtmf('123456789').then(() => { sent = true; });
    s.run(600);
    s.a.stop();
    s.b.stop();
    await Promise.resolve();
    expect([played, sent]).toEqual([true, true]);
    expect(readWavInfo(readFileSync(path), path).streamed).toBe(false);
    expect(rec.durationMs).toBeGreaterThan(300);
    const packets = s.net.media.sent;
    s.run(500);
    expect(s.net.media.sent).toBe(packets);
  });
});
