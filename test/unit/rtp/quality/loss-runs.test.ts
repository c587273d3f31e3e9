/**
 * Loss runs from sequence numbers: the burst ratio of G.107 (7-30) on patterns whose answer is worked by
 * hand, reordering inside the window, wrap-around, a restarted sender, and RFC 3611 §4.7.2 bursts and gaps.
 */
import { describe, expect, it } from 'vitest';
import { LossRuns } from '../../../../src/rtp/quality/loss-runs.js';

/** Feeds positions 0..n-1 (sequence base + i) except those `lost` says, and finishes. */
function feed(n: number, lost: (i: number) => boolean, base = 1000, opts = {}): LossRuns {
  const runs = new LossRuns(opts);
  for (let i = 0; i < n; i++) if (!lost(i)) runs.received((base + i) & 0xffff);
  runs.finish();
  return runs;
}

describe('LossRuns', () => {
  it('no loss: BurstR 1, no runs', () => {
    const s = feed(500, () => false).summary();
    expect([s.packets, s.lost, s.burstR, s.lossRuns, s.maxLossRun]).toEqual([500, 0, 1, 0, 0]);
  });

  it('every 10th packet lost: p = 100/900, q = 1, BurstR 0.9 (more regular than random)', () => {
    const s = feed(1000, (i) => i % 10 === 5).summary();
    expect(s.lost).toBe(100);
    expect(s.p).toBeCloseTo(100 / 900, 12);
    expect(s.q).toBe(1);
    expect(s.burstR).toBeCloseTo(0.9, 12);
    expect(s.lossRunHistogram).toEqual([0, 100]);
  });

  it('ten runs of ten: p = 10/900, q = 0.1, BurstR = 9 = (Ppl/100)/p as (7-30) requires', () => {
    const s = feed(1000, (i) => i % 100 >= 40 && i % 100 < 50).summary();
    expect([s.lost, s.lossRuns, s.meanLossRun, s.maxLossRun]).toEqual([100, 10, 10, 10]);
    expect(s.burstR).toBeCloseTo(9, 12);
    expect(s.burstR).toBeCloseTo(0.1 / s.p, 12);
    expect(s.burstR).toBeCloseTo(0.9 / s.q, 12);
  });

  it('counts a packet reordered within the window as received, one beyond it as lost', () => {
    const runs = new LossRuns({ reorderWindow: 8 });
    for (let i = 0; i < 100; i++) {
      if (i === 20 || i === 60) continue;
      runs.received(i);
      if (i === 25) runs.received(20); // 5 late: within 8
      if (i === 75) runs.received(60); // 15 late: already decided lost
    }
    runs.finish();
    expect(runs.summary().lost).toBe(1);
  });

  it('follows the sequence number across its wrap at 65535', () => {
    const s = feed(200, (i) => i === 100, 65500).summary();
    expect([s.packets, s.lost]).toEqual([200, 1]);
  });

  it('treats a jump beyond 3000 (RFC 3550 MAX_DROPOUT) as a restarted sender, not a loss', () => {
    const runs = new LossRuns();
    for (let i = 0; i < 50; i++) runs.received(100 + i);
    for (let i = 0; i < 50; i++) runs.received(40000 + i);
    runs.finish();
    expect(runs.summary()).toMatchObject({ packets: 100, lost: 0 });
  });

  it('splits bursts from gaps as RFC 3611 §4.7.2 does (Gmin 16)', () => {
    // 100 received, 1 isolated loss, 50 received, then a cluster L R R L R R R L (8 packets, 3 lost), 100 received.
    const pattern: boolean[] = [];
    const push = (lost: boolean, n = 1) => {
      for (let i = 0; i < n; i++) pattern.push(lost);
    };
    push(false, 100);
    push(true);
    push(false, 50);
    push(true);
    push(false, 2);
    push(true);
    push(false, 3);
    push(true);
    push(false, 100);
    const s = feed(pattern.length, (i) => pattern[i]!).summary();
    expect(s.lost).toBe(4);
    expect(s.burstDensity).toBeCloseTo(3 / 8, 12);
    expect(s.meanBurstPackets).toBe(8);
    expect(s.gapDensity).toBeCloseTo(1 / (pattern.length - 8), 12);
  });

  it('a loss with fewer than Gmin packets to the start or the end of the stream is still isolated: a gap loss', () => {
    const s = feed(100, (i) => i === 5 || i === 94, 0).summary();
    expect([s.lost, s.burstDensity, s.meanBurstPackets]).toEqual([2, 0, 0]);
    expect(s.gapDensity).toBeCloseTo(2 / 100, 12);
  });

  it('ignores a stray packet far from the stream', () => {
    const runs = new LossRuns();
    for (let i = 0; i < 50; i++) {
      runs.received(100 + i);
      if (i === 20) runs.received(30000);
    }
    runs.finish();
    expect(runs.summary()).toMatchObject({ packets: 50, lost: 0 });
  });

  it('summaryAfterFinish decides pending positions without disturbing the running count', () => {
    const runs = new LossRuns({ reorderWindow: 32 });
    for (let i = 0; i < 40; i++) if (i !== 30) runs.received(i);
    expect(runs.summary().lost).toBe(0);
    expect(runs.summaryAfterFinish().lost).toBe(1);
    for (let i = 40; i < 100; i++) runs.received(i);
    runs.received(30); // too late now: it was decided lost in the meantime
    runs.finish();
    expect(runs.summary()).toMatchObject({ packets: 100, lost: 1 });
  });
});
