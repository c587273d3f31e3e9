import { describe, expect, it } from 'vitest';
import { ReceptionStats, SendStats } from '../../../src/rtp/stats.js';

function feed(s: ReceptionStats, rows: [number, number, number][], ssrc = 7) {
  return rows.map(([seq, ts, arr]) => s.onPacket({ ssrc, sequence: seq, timestamp: ts, payloadLength: 160 }, arr));
}

describe('ReceptionStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('a hand-computed scenario: probation, loss, reorder, duplicate, jitter', () => {
    const s = new ReceptionStats(8000);
    const verdicts = feed(s, [
      [1000, 0, 0], // probation (A.1: MIN_SEQUENTIAL 2), counted once the next one confirms it
      [1001, 160, 20], // valid; transit 0
      [1002, 320, 45], // transit 40 → D 40 → J 2.5
      [1004, 640, 80], // transit 0 → D 40 → J 4.84375 (1003 missing for now)
      [1003, 480, 85], // out of order; transit 200 → D 200 → J 17.041015625
      [1004, 640, 90], // duplicate: no jitter update
      [1007, 1120, 140], // transit 0 → D 200 → J 28.4759521484375 (1005, 1006 lost)
    ]);
    expect(verdicts).toEqual(['probation', 'valid', 'valid', 'valid', 'valid', 'duplicate', 'valid']);
    const snap = s.snapshot();
    expect(snap).toMatchObject({
      ssrc: 7,
      packetsReceived: 7, // A.1 counts the duplicate
      bytesReceived: 6 * 160,
      expected: 8,
      lost: 1, // two lost, minus one duplicate
      extendedHighestSeq: 1007,
      cycles: 0,
      duplicates: 1,
      outOfOrder: 1,
      ssrcChanges: 0,
    });
    expect(snap.jitter).toBeCloseTo(28.4759521484375, 10);
    expect(snap.jitterMs).toBeCloseTo(28.4759521484375 / 8, 10);
    const rb = s.reportBlock(140)!;
    expect(rb).toEqual({ ssrc: 7, fractionLost: 32, cumulativeLost: 1, highestSeq: 1007, jitter: 28, lsr: 0, dlsr: 0 });
    expect(s.snapshot().fractionLost).toBe(32 / 256); // 1 of 8 expected: floor(256 / 8)
    // Next interval: 1008..1011 with 1009 lost → expected 4, received 3 → floor(256/4) = 64.
    feed(s, [[1008, 1280, 160], [1010, 1600, 200], [1011, 1760, 220]]);
    expect(s.reportBlock(220)).toMatchObject({ fractionLost: 64, cumulativeLost: 2, highestSeq: 1011 });
    // An interval with nothing new reports 0.
    expect(s.reportBlock(240)!.fractionLost).toBe(0);
  });

  it('sequence wrap-around counts a cycle', () => {
    const s = new ReceptionStats();
    feed(s, [[65533, 0, 0], [65534, 160, 20], [65535, 320, 40], [0, 480, 60], [1, 640, 80]]);
    expect(s.snapshot()).toMatchObject({ extendedHighestSeq: 65537, cycles: 1, expected: 5, packetsReceived: 5, lost: 0, jitter: 0 });
    expect(s.reportBlock(80)!.highestSeq).toBe(0x10001);
  });

  it('a reordered packet just before the wrap is not a duplicate nor a new cycle', () => {
    const s = new ReceptionStats();
    feed(s, [[65533, 0, 0], [65534, 160, 20], [0, 480, 60], [65535, 320, 61]]);
    expect(s.snapshot()).toMatchObject({ extendedHighestSeq: 65536, cycles: 1, outOfOrder: 1, duplicates: 0, lost: 0 });
  });

  it('a big jump is invalid once and a restart when it continues (A.1 bad_seq)', () => {
    const s = new ReceptionStats();
    expect(feed(s, [[10, 0, 0], [11, 160, 20], [12, 320, 40], [40000, 0, 60], [40001, 160, 80], [40002, 320, 100]])).toEqual([
      'probation', 'valid', 'valid', 'invalid', 'valid', 'valid',
    ]);
    expect(s.snapshot()).toMatchObject({ extendedHighestSeq: 40002, invalid: 1 });
    expect(s.reportBlock(100)).toMatchObject({ cumulativeLost: 0, highestSeq: 40002 });
  });

  it('an SSRC change starts a new source on probation and keeps the call totals', () => {
    const s = new ReceptionStats();
    feed(s, [[1, 0, 0], [2, 160, 20], [3, 320, 40], [5, 640, 80]], 7);
    feed(s, [[500, 9000, 100], [501, 9160, 120], [502, 9320, 140]], 8);
    expect(s.snapshot()).toMatchObject({ ssrc: 8, ssrcChanges: 1, packetsReceived: 4 + 3, expected: 5 + 3, lost: 1, extendedHighestSeq: 502 });
  });

  it('LSR and DLSR from the last SR received', () => {
    const s = new ReceptionStats();
    feed(s, [[1, 0, 0], [2, 160, 20]]);
    s.onSenderReport(0x6f808000, 1000);
    expect(s.reportBlock(1500)).toMatchObject({ lsr: 0x6f808000, dlsr: 32768 });
  });
});

describe('SendStats', () => {
  it('counts packets and octets and extrapolates the SR timestamp', () => {
    const s = new SendStats(8000);
    s.onSent(160, 1000, 0);
    s.onSent(160, 1160, 20);
    expect(s.snapshot()).toEqual({ packetsSent: 2, bytesSent: 320 });
    expect(s.rtpTimestampAt(30)).toBe(1240);
  });
});
