/**
 * The quality model wired into calls (call-quality.ts), on the memory network and the manual clock: the
 * summary's `quality` field filled from the RTP actually received (a known loss pattern), the peer's
 * RTCP, the INVITE's responses through a 302, and one-way audio when one side's RTP is cut.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redirector } from '../../../src/um/redirector.js';
import { eModel } from '../../../src/rtp/quality/e-model.js';
import { CallQualityTracker, energyDbov, g711EnergyDbov } from '../../../src/phone/call-quality.js';
import { codecFor } from '../../../src/media/g711.js';
import { ManualClock } from '../../../src/util/clock.js';
import { phoneWorld, promptAudio, CALLEE, type PhoneWorld } from '../../support/phone-world.js';
import type { Datagram } from '../../support/memory-network.js';

let w: PhoneWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const isRtp = (d: Datagram): boolean => d.bytes.length >= 12 && (d.bytes[1]! & 0x7f) < 72;

describe('quality on a call (memory network)', () => {
  it('a clean call: MOS of the E-model with no loss, no one-way audio, post-dial delay to 180 and 200, rows per second', async () => {
    w = phoneWorld({ listener: { autoAnswer: 1000, answerOptions: () => ({ play: promptAudio('enter-pin.wav'), loop: true }) } });
    const call = w.caller.dial(w.calleeUri);
    await w.settle(call.answered);
    await w.run(6_000);
    const s = await w.settle(call.hangup());
    const q = s.quality!;
    expect(q.codec).toEqual({ name: 'PCMU', Ie: 0, Bpl: 4.3, plc: false });
    expect(q.received.lost).toBe(0);
    expect(q.received.packets).toBeGreaterThan(280);
    // No RTT on a zero-latency network but the jitter buffer's 60 ms and one packet: R just under 93.2.
    expect(q.r).toBeCloseTo(eModel({ T: q.received.oneWayDelayMs, Ta: q.received.oneWayDelayMs, Tr: 2 * q.received.oneWayDelayMs }).R, 6);
    expect(q.mos).toBeGreaterThan(4.3);
    expect(q.oneWayAudio.oneWay).toBe(false);
    expect(q.postDialDelay.invites).toBe(1);
    expect(q.postDialDelay.toRingingMs).toBeLessThan(50);
    expect(q.postDialDelay.toAnswerMs).toBeGreaterThanOrEqual(1000);
    expect(q.postDialDelay.toAnswerMs).toBeLessThan(1050);
    expect(q.postDialDelay.finalStatus).toBe(200);
    // 6 s of media: 6 whole rows and the part-second up to the hangup; they add up to the call.
    expect(q.perSecond.length).toBeGreaterThanOrEqual(6);
    expect(q.perSecond.length).toBeLessThanOrEqual(7);
    expect(q.perSecond.reduce((n, r) => n + r.packets, 0)).toBe(q.received.packets);
    expect(q.perSecond[0]!.startMs).toBeGreaterThanOrEqual(1000);
    expect(q.perSecond[1]!.startMs - q.perSecond[0]!.startMs).toBe(1000);
    // The peer's RTCP (first report after 1.25 to 3.75 s) says how it hears us.
    expect(q.sent).toMatchObject({ lossPercent: 0, jitterMs: expect.any(Number) });
  });

  it('every 10th received RTP packet lost: 10 % loss, the rows add up, MOS falls as the E-model says', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ play: promptAudio('enter-pin.wav'), loop: true, rtpTimeout: 0 }) } });
    let n = 0;
    w.net.setMediaLoss((d) => d.from.address === CALLEE && isRtp(d) && ++n % 10 === 0);
    const call = await w.settle(w.caller.call(w.calleeUri));
    await w.run(10_000);
    const s = await w.settle(call.hangup());
    const q = s.quality!;
    expect(q.received.lossPercent).toBeGreaterThan(9);
    expect(q.received.lossPercent).toBeLessThan(11);
    expect(q.perSecond.reduce((a, r) => a + r.lost, 0)).toBe(q.received.lost);
    // Evenly spaced single losses: runs of one, BurstR below 1 (more regular than random).
    expect(q.received.lossRuns.maxLossRun).toBe(1);
    expect(q.received.lossRuns.burstR).toBeLessThan(1);
    const d = q.received.oneWayDelayMs;
    const expected = eModel({ Ie: 0, Bpl: 4.3, Ppl: q.received.lossPercent, BurstR: q.received.lossRuns.burstR, T: d, Ta: d, Tr: 2 * d });
    expect(q.r).toBeCloseTo(expected.R, 6);
    expect(q.mos).toBeLessThan(2);
    // The peer's RTCP about our stream (nothing lost that way).
    expect(q.sent?.lossPercent).toBe(0);
    // The summary the CLI prints as JSON: the whole row series survives a round trip.
    expect(JSON.parse(JSON.stringify(s)).quality.perSecond.length).toBe(q.perSecond.length);
  });

  it('no RTP from the callee: one-way audio on the received side, MOS not measured', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ rtpTimeout: 0 }) } });
    w.net.setMediaLoss((d) => d.from.address === CALLEE && isRtp(d));
    const call = await w.settle(w.caller.call(w.calleeUri, { rtpTimeout: 0 }));
    await w.run(7_000);
    const s = await w.settle(call.hangup());
    const q = s.quality!;
    expect(q.received.packets).toBe(0);
    expect(q.mos).toBeUndefined();
    expect(q.oneWayAudio).toMatchObject({ oneWay: true, deadSide: 'received' });
    expect(q.oneWayAudio.deadForMs).toBeGreaterThanOrEqual(5000);
  });

  it('post-dial delay through the UM front end\'s 302: two INVITEs, one redirect, the clock started at the first', async () => {
    w = phoneWorld({ listener: { autoAnswer: 500 } });
    const front = new Redirector({ clock: w.clock, address: '192.0.2.3', sip: w.net.createTransport('192.0.2.3', 5060, 'tcp'), next: { host: '192.0.2.2', port: 5060 }, role: 'UM service' });
    const call = await w.settle(w.caller.call('sip:680@192.0.2.3:5060;transport=tcp'));
    const s = await w.settle(call.hangup());
    const pdd = s.quality!.postDialDelay;
    expect(pdd).toMatchObject({ invites: 2, redirects: 1, finalStatus: 200 });
    expect(pdd.toAnswerMs).toBeGreaterThanOrEqual(500);
    expect(pdd.toRingingMs).toBeLessThan(pdd.toAnswerMs!);
    await front.close();
  });

  it('a failed call has its post-dial delay and an empty stream', async () => {
    w = phoneWorld({ listener: { autoAnswer: undefined } });
    w.listener.onEvent((e) => { if (e.type === 'call') e.call.reject({ status: 486 }); });
    const call = w.caller.dial(w.calleeUri);
    const s = await w.settle(call.ended);
    expect(s.quality!.postDialDelay.finalStatus).toBe(486);
    expect(s.quality!.received.expected).toBe(0);
    expect(s.quality!.perSecond).toEqual([]);
  });
});

describe('the capture on a call (memory network)', () => {
  it.each([
    ['a folder that does not exist', '/nonexistent-dir/call.pcap', /^pcap: .*ENOENT.*; the call goes on without a capture$/],
    ['a full disk (/dev/full)', '/dev/full', /^pcap: .*ENOSPC.*; the call goes on without a capture$/],
  ])('%s: one warning line, the call goes on with its media and quality', async (_what, path, warning) => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ play: promptAudio('enter-pin.wav'), loop: true }) } });
    const call = w.caller.dial(w.calleeUri, { pcap: path });
    const warnings: string[] = [];
    call.onEvent((e) => { if (e.type === 'warning') warnings.push(e.message); });
    await w.settle(call.answered);
    await w.run(3_000);
    const s = await w.settle(call.hangup());
    // The capture's writes are asynchronous (its disk thread): a write error arrives when the thread
    // answers, in real time, whatever the manual clock does.
    if (warnings.length === 0) await new Promise<void>((r) => call.onEvent((e) => { if (e.type === 'warning') r(); }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(warning);
    expect(s.end).toEqual({ kind: 'hangup', by: 'local' });
    expect(s.quality!.received.packets).toBeGreaterThan(100);
    if (path === '/dev/full') expect(s.pcap).toBe('/dev/full');
    else expect(s.pcap).toBeUndefined();
  });

  it('the summary names the pcap written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umphone-q-'));
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const call = await w.settle(w.caller.call(w.calleeUri, { pcap: join(dir, '{callid}.pcap') }));
    await w.run(500);
    const s = await w.settle(call.hangup());
    expect(s.pcap).toBe(join(dir, `${s.callId.replace(/[^A-Za-z0-9._-]/g, '_')}.pcap`));
    expect(existsSync(s.pcap!)).toBe(true);
  });
});

describe('CallQualityTracker', () => {
  it('3600 rows of a one-hour call: JSON size stays bounded', () => {
    const clock = new ManualClock();
    const t = new CallQualityTracker(clock, clock.now());
    t.mediaStarted('PCMU');
    const silence = new Int16Array(160);
    for (let i = 0; i < 3600 * 50; i++) {
      const at = clock.now() + i * 20;
      t.received({ ssrc: 1, sequence: i & 0xffff, timestamp: (i * 160) >>> 0, payload: Buffer.alloc(160), payloadType: 0, marker: false, version: 2, padding: false, extension: false, csrcs: [] } as never, i % 100 === 7 ? 'late' : 'audio', at + (i % 3), () => -20);
      t.sent(at, silence);
    }
    t.end(clock.now() + 3600 * 1000);
    const q = t.summary();
    expect(q.perSecond.length).toBe(3600);
    const bytes = Buffer.byteLength(JSON.stringify(q));
    // Measured 2026-12-06: docs/quality.md "Size" gives the figure; the bound here is what the docs promise.
    expect(bytes).toBeLessThan(700_000);
    expect(q.received.late).toBe(1800);
  });

  it('energyDbov: full-scale square wave 0 dBov, silence -Infinity, a quiet tone far below -55', () => {
    expect(energyDbov(new Int16Array(160).fill(-32768))).toBeCloseTo(0, 6);
    expect(energyDbov(new Int16Array(160))).toBe(-Infinity);
    expect(energyDbov(new Int16Array(160).fill(10))).toBeLessThan(-55);
  });

  it('g711EnergyDbov: the energy of the decoded samples, from the code words (both laws)', () => {
    const tone = new Int16Array(160).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
    for (const law of ['PCMU', 'PCMA'] as const) {
      const c = codecFor(law);
      const payload = c.encode(tone);
      expect(g711EnergyDbov(payload, (b) => c.decode(b), law)).toBeCloseTo(energyDbov(c.decode(payload)), 9);
      expect(g711EnergyDbov(c.encode(new Int16Array(160)), (b) => c.decode(b), law)).toBeLessThan(-55);
    }
  });
});
