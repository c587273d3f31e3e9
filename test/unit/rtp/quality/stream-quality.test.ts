/**
 * Stream quality: loss and jitter agree with tshark's own RTP analysis of the same packets (written
 * through the phone's pcap writer), per-second rows add up to the call, and late packets, the RTCP round
 * trip and the peer's report reach the summary and the E-model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketCapture } from '../../../../src/capture/packet-capture.js';
import { fileSink, PcapWriter } from '../../../../src/capture/pcap-writer.js';
import { ntpFromUnixMs, ntpMiddle32 } from '../../../../src/rtp/rtcp.js';
import { eModel, G711_NO_PLC } from '../../../../src/rtp/quality/e-model.js';
import { StreamQuality } from '../../../../src/rtp/quality/stream-quality.js';
import { ManualClock } from '../../../../src/util/clock.js';
import { buildRtp } from '../../../support/pcap.js';
import { tsharkRtpStreams } from '../../../support/tshark.js';

const tmp = mkdtempSync(join(tmpdir(), 'umphone-quality-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const SSRC = 0x4242;

function packet(k: number, atMs: number) {
  return { atMs, ssrc: SSRC, sequence: (5000 + k) & 0xffff, timestamp: 160 * k, payloadLength: 160 };
}

describe('StreamQuality', () => {
  it('counts loss and jitter as tshark does for the same packets (1 lost, 2 swapped, uneven arrival)', async () => {
    const order = Array.from({ length: 100 }, (_, k) => k).filter((k) => k !== 10);
    const at = order.indexOf(40);
    [order[at], order[at + 1]] = [41, 40];
    // Arrival 20 ms apart with a wobble of 0, 4 or 9 ms: a jitter both sides must compute alike. The first
    // two arrive evenly: stats.ts starts A.8 at the second packet of the A.1 probation, tshark at the first,
    // and an uneven first pair would leave its D/16 (decaying) between the two.
    const arrivals = order.map((k, slot) => ({ k, atMs: slot * 20 + (slot < 2 ? 0 : [0, 4, 9][slot % 3]!) }));

    const q = new StreamQuality();
    const path = join(tmp, 'quality.pcap');
    const writer = new PcapWriter(fileSink(path), { clock: new ManualClock() });
    const cap = new PacketCapture(writer);
    for (const { k, atMs } of arrivals) {
      q.onPacket(packet(k, atMs));
      const p = packet(k, atMs);
      cap.udp(T0 + atMs, { address: '127.0.0.1', port: 20000 }, { address: '127.0.0.1', port: 30000 }, buildRtp({ pt: 0, seq: p.sequence, ts: p.timestamp, ssrc: SSRC, payload: Buffer.alloc(160, 0xff) }));
    }
    await writer.close();

    const s = q.summary();
    expect([s.packets, s.expected, s.lost, s.outOfOrder]).toEqual([99, 100, 1, 1]);
    const streams = tsharkRtpStreams(path, 30000);
    expect(streams).toHaveLength(1);
    const t = streams[0]!;
    expect([t.ssrc, t.packets, t.lost]).toEqual([SSRC, s.packets, s.lost]);
    expect(s.maxJitterMs).toBeGreaterThan(1);
    expect(Math.abs(t.maxJitterMs - s.maxJitterMs)).toBeLessThan(0.002);
  });

  it('splits the call into one-second rows that add up to the summary, empty seconds included', () => {
    const q = new StreamQuality({ originMs: 0 });
    for (let k = 0; k < 150; k++) if (k !== 60 && k !== 61) q.onPacket(packet(k, k * 20));
    q.advanceTo(4000);
    const rows = q.series();
    expect(rows.map((r) => [r.second, r.startMs, r.packets, r.expected, r.lost])).toEqual([
      [0, 0, 50, 50, 0],
      [1, 1000, 48, 50, 2],
      [2, 2000, 50, 50, 0],
      [3, 3000, 0, 0, 0],
    ]);
    expect(rows[1]!.lossPercent).toBe(4);
    expect(rows[3]!.r).toBeUndefined();
    expect(rows[3]!.mos).toBeUndefined();
    expect(rows[0]!.mos!).toBeGreaterThan(rows[1]!.mos!);
    const s = q.summary();
    expect(rows.reduce((a, r) => a + r.packets, 0)).toBe(s.packets);
    expect(rows.reduce((a, r) => a + r.lost, 0)).toBe(s.lost);
    expect(s.lossRuns).toMatchObject({ lost: 2, lossRuns: 1, maxLossRun: 2 });
  });

  it('rates the call with late discards as loss, BurstR from the runs and the delay from RTCP', () => {
    const q = new StreamQuality({ jitterBufferDelayMs: 40 });
    for (let k = 0; k < 500; k++) {
      if (k >= 100 && k < 104) continue;
      q.onPacket(packet(k, k * 20));
    }
    q.onLate(5000);
    q.onLate(5020);
    // The peer got our SR 150 ms before its report arrived and held it 50 ms: round trip 100 ms.
    const arrival = T0 + 9000;
    const sent = ntpFromUnixMs(arrival - 150);
    q.onPeerReport({
      atMs: 9000,
      arrivalWallMs: arrival,
      block: { ssrc: 1, fractionLost: 64, cumulativeLost: 12, highestSeq: 0, jitter: 80, lsr: ntpMiddle32(sent.seconds, sent.fraction), dlsr: 0.05 * 65536 },
    });
    const s = q.summary();
    expect(s.rttMs).toBeCloseTo(100, 0);
    expect(s.oneWayDelayMs).toBeCloseTo(50 + 40 + 20, 0);
    expect(s.late).toBe(2);
    expect(s.lossPercent).toBeCloseTo((6 / 500) * 100, 9);
    expect(s.peer).toEqual({ lossPercent: 25, cumulativeLost: 12, jitterMs: 10 });
    const burstR = s.lossRuns.burstR;
    expect(burstR).toBeGreaterThan(1);
    const ta = s.oneWayDelayMs;
    expect(s.r).toBeCloseTo(eModel({ ...G711_NO_PLC, Ppl: 1.2, BurstR: burstR, T: ta, Ta: ta, Tr: 2 * ta }).R, 9);
  });

  it('has no rating before any packet, and no jitter from RFC 4733 events', () => {
    const q = new StreamQuality();
    expect(q.summary()).toMatchObject({ packets: 0, r: undefined, mos: undefined, rttMs: undefined, peer: undefined });
    for (let k = 0; k < 20; k++) q.onPacket({ ...packet(k, k * 20 + (k % 2) * 7), timestamp: 0, jitter: false });
    expect(q.summary().maxJitterMs).toBe(0);
  });
});
