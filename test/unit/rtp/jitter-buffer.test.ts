import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JitterBuffer } from '../../../src/rtp/jitter-buffer.js';
import type { JitterFrame, JitterPacket } from '../../../src/rtp/jitter-buffer.js';

function pkt(sequence: number, timestamp: number, extra: Partial<JitterPacket> = {}): JitterPacket {
  return { ssrc: 1, sequence: sequence & 0xffff, timestamp: timestamp >>> 0, payloadType: 0, marker: false, payload: Buffer.from([sequence & 0xff]), ...extra };
}

/** Short text for a frame: "a5" audio seq 5, "L7" lost seq 7, "cn3", "s:gap". */
function show(f: JitterFrame): string {
  switch (f.kind) {
    case 'audio':
      return `a${f.sequence}`;
    case 'comfort-noise':
      return `cn${f.sequence}`;
    case 'lost':
      return `L${f.sequence}`;
    case 'silence':
      return `s:${f.reason}`;
  }
}

/** Pushes the packets due before each pull (arrivals[k] before pull k), and returns the frames. */
function run(jb: JitterBuffer, arrivals: JitterPacket[][], pulls = arrivals.length): string[] {
  const out: string[] = [];
  for (let k = 0; k < pulls; k++) {
    for (const p of arrivals[k] ?? []) jb.push(p);
    out.push(show(jb.pull()));
  }
  return out;
}

const jb40 = () => new JitterBuffer({ initialDelayMs: 40, minDelayMs: 20, maxDelayMs: 200 });

describe('JitterBuffer', () => {
  it('waits for the target delay, then plays in order', () => {
    const jb = jb40();
    expect(run(jb, [[pkt(1, 0)], [pkt(2, 160)], [pkt(3, 320)], [pkt(4, 480)], []])).toEqual(['s:buffering', 'a1', 'a2', 'a3', 'a4']);
  });

  it('reorders and de-duplicates', () => {
    const jb = jb40();
    expect(jb.push(pkt(2, 160))).toBe('queued');
    expect(jb.push(pkt(1, 0))).toBe('queued');
    expect(jb.push(pkt(4, 480))).toBe('queued');
    expect(jb.push(pkt(2, 160))).toBe('duplicate');
    expect(jb.push(pkt(3, 320))).toBe('queued');
    expect(jb.queuedSequences()).toEqual([1, 2, 3, 4]);
    expect(run(jb, [[], [], [], []])).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(jb.push(pkt(3, 320))).toBe('duplicate');
    expect(jb.stats()).toMatchObject({ delivered: 4, duplicates: 2, concealed: 0 });
  });

  it('says lost where a packet is missing, then goes on', () => {
    const jb = jb40();
    expect(run(jb, [[pkt(1, 0), pkt(2, 160)], [pkt(4, 480)], [pkt(5, 640)], [], []])).toEqual(['a1', 'a2', 'L3', 'a4', 'a5']);
    expect(jb.stats().concealed).toBe(1);
  });

  it('a packet that comes after its slot is late: dropped, and the target grows', () => {
    const jb = jb40();
    const before = jb.stats().targetDelayMs;
    const frames = run(jb, [[pkt(1, 0), pkt(2, 160)], [pkt(4, 480)], [], [pkt(5, 640)]]);
    expect(frames).toEqual(['a1', 'a2', 'L3', 'a4']);
    expect(jb.push(pkt(3, 320))).toBe('late');
    expect(jb.stats().late).toBe(1);
    expect(jb.stats().targetDelayMs).toBe(before + 20);
  });

  it('wraps around at 65535 (sequence) and 2^32 (timestamp), reordered across the wrap', () => {
    const jb = jb40();
    const t0 = 2 ** 32 - 320;
    expect(run(jb, [[pkt(65534, t0), pkt(0, t0 + 320)], [pkt(65535, t0 + 160)], [pkt(1, t0 + 480)], [pkt(2, t0 + 640)], []])).toEqual([
      'a65534', 'a65535', 'a0', 'a1', 'a2',
    ]);
    expect(jb.stats().concealed).toBe(0);
  });

  it('an SSRC change resets: the old queue goes, the new source buffers afresh', () => {
    const jb = jb40();
    expect(run(jb, [[pkt(1, 0), pkt(2, 160)], [pkt(3, 320)]])).toEqual(['a1', 'a2']);
    expect(jb.push(pkt(9000, 777, { ssrc: 2 }))).toBe('reset');
    expect(run(jb, [[], [pkt(9001, 937, { ssrc: 2 })], [pkt(9002, 1097, { ssrc: 2 })]])).toEqual(['s:buffering', 'a9000', 'a9001']);
    expect(jb.stats().resets).toBe(1);
  });

  it('a sequence jump beyond 3000 is a stray packet, or a restart of the sender when the next follows it, never 3000 losses', () => {
    const jb = jb40();
    run(jb, [[pkt(1, 0), pkt(2, 160)], [pkt(3, 320)]]);
    // One stray packet far away is dropped; a second that follows it means the sender restarted.
    expect(jb.push(pkt(20000, 50000))).toBe('invalid');
    expect(jb.push(pkt(20001, 50160))).toBe('reset');
    expect(run(jb, [[pkt(20002, 50320)], [pkt(20003, 50480)]])).toEqual(['a20001', 'a20002']);
    expect(jb.stats()).toMatchObject({ concealed: 0, invalid: 1, resets: 1 });
  });

  it('comfort noise (PT 13) passes through; the silence after it is silence, and the next talkspurt (marker) re-anchors', () => {
    const jb = jb40();
    const frames = run(jb, [
      [pkt(1, 0), pkt(2, 160)],
      [pkt(3, 320, { payloadType: 13 })],
      [], [], [], [],
      [pkt(4, 8000, { marker: true })],
      [pkt(5, 8160)],
      [pkt(6, 8320)],
    ]);
    expect(frames).toEqual(['a1', 'a2', 'cn3', 's:gap', 's:gap', 's:gap', 's:gap', 'a4', 'a5']);
    expect(jb.stats().concealed).toBe(0);
  });

  it('DTX without CN: a timestamp gap with contiguous sequence is silence, not loss', () => {
    const jb = jb40();
    const frames = run(jb, [[pkt(1, 0), pkt(2, 160)], [pkt(3, 800)], [pkt(4, 960)], [], [], [], []]);
    expect(frames).toEqual(['a1', 'a2', 's:gap', 's:gap', 's:gap', 'a3', 'a4']);
    expect(jb.stats().concealed).toBe(0);
  });

  it('a timestamp jump without marker larger than the maximum delay re-anchors at once', () => {
    const jb = jb40();
    expect(run(jb, [[pkt(1, 0), pkt(2, 160)], [pkt(3, 320)], [pkt(4, 900_000)], [pkt(5, 900_160)]])).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('after a long underrun it stops concealing and buffers again', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40, maxDelayMs: 60 });
    const frames = run(jb, [[pkt(1, 0), pkt(2, 160)], [], [], [], [], [], [pkt(7, 960)], [pkt(8, 1120)], []]);
    expect(frames).toEqual(['a1', 'a2', 'L3', 'L4', 'L5', 's:gap', 's:buffering', 'a7', 'a8']);
  });

  it('learns a 30 ms packet duration from the stream', () => {
    const jb = jb40();
    jb.push(pkt(1, 0));
    jb.push(pkt(2, 240));
    jb.push(pkt(3, 480));
    expect(jb.pull()).toMatchObject({ kind: 'audio', samples: 240 });
    // One pair alone (a gap) does not change the learned duration.
    const other = jb40();
    other.push(pkt(1, 0));
    other.push(pkt(2, 640));
    expect(other.pull()).toMatchObject({ kind: 'audio', samples: 160 });
  });

  it('a packet from long ago (a stray duplicate) is dropped without resetting the stream', () => {
    const jb = jb40();
    const arrivals: JitterPacket[][] = [];
    for (let i = 0; i < 150; i++) arrivals.push([pkt(i, i * 160)]);
    run(jb, arrivals);
    expect(jb.push(pkt(3, 480))).toBe('invalid');
    expect(jb.push(pkt(150, 150 * 160))).toBe('queued');
    expect(jb.stats()).toMatchObject({ resets: 0, invalid: 1 });
  });

  it('learns the packet duration while it streams one packet at a time', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20, minDelayMs: 20 });
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      jb.push(pkt(i, i * 240));
      const f = jb.pull();
      if (f.kind === 'audio') samples.push(f.samples);
    }
    expect(samples.at(-1)).toBe(240);
  });

  it('the target follows the jitter estimate within min and max', () => {
    const jb = new JitterBuffer({ minDelayMs: 20, maxDelayMs: 200 });
    jb.setJitter(80); // 10 ms of jitter: 20 + 30 ms
    expect(jb.stats().targetDelayMs).toBe(50);
    jb.setJitter(8000);
    expect(jb.stats().targetDelayMs).toBe(200);
    jb.setJitter(0);
    expect(jb.stats().targetDelayMs).toBe(20);
  });

  it('shrinks by one frame a second when it holds more than it needs', () => {
    const jb = new JitterBuffer({ initialDelayMs: 100, minDelayMs: 20, maxDelayMs: 200 });
    let seq = 0;
    const arrivals: JitterPacket[][] = [];
    // Five packets ahead, then one per pull: the depth stays at 100 ms.
    arrivals.push([0, 1, 2, 3, 4].map(() => pkt(seq, seq++ * 160)));
    for (let k = 1; k < 120; k++) arrivals.push([pkt(seq, seq++ * 160)]);
    jb.setJitter(0); // the path has no jitter: 20 ms would do
    const frames = run(jb, arrivals);
    expect(frames.filter((f) => f.startsWith('L'))).toEqual([]);
    expect(jb.stats().adjustDrops).toBe(2);
    expect(jb.stats().depthMs).toBeLessThan(100);
  });

  it('property: with jitter under the delay, every packet plays once, in order, losses said as lost, across the wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.boolean(), fc.boolean()), { minLength: 20, maxLength: 150 }),
        (s0, t0, plan) => {
          const jb = jb40();
          // Losses of single packets, never the first or the last (longer bursts are the overflow's business).
          const isLost = (lost: boolean, i: number) => lost && i % 2 === 1 && i < plan.length - 1;
          const arrivals: JitterPacket[][] = [];
          plan.forEach(([delay, lost, dup], i) => {
            if (isLost(lost, i)) return;
            const p = pkt(s0 + i, t0 + i * 160);
            (arrivals[i + delay] ??= []).push(p);
            if (dup) (arrivals[i + delay + 1] ??= []).push(p);
          });
          const frames: JitterFrame[] = [];
          for (let k = 0; k < plan.length + 12; k++) {
            for (const p of arrivals[k] ?? []) jb.push(p);
            frames.push(jb.pull());
          }
          const seqs = frames.flatMap((f) => (f.kind === 'audio' || f.kind === 'lost' ? [[f.kind, f.sequence] as const] : []));
          const expected = plan.map((_, i) => (s0 + i) & 0xffff);
          expect(seqs.slice(0, plan.length).map(([, q]) => q)).toEqual(expected);
          const lostPlanned = plan.filter(([, lost], i) => isLost(lost, i)).length;
          expect(seqs.slice(0, plan.length).filter(([k]) => k === 'lost').length).toBe(lostPlanned);
          expect(jb.stats().late).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
