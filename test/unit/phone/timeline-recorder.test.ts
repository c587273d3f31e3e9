import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../../src/phone/timeline-recorder.js';
import type { WavWriter } from '../../../src/media/wav/writer.js';

function fakeWriter() {
  const left: number[] = [];
  const right: number[] = [];
  let closed = 0;
  const w = {
    write: (pcm: Int16Array) => left.push(...pcm),
    writeStereo: (l: Int16Array, r: Int16Array) => { left.push(...l); right.push(...r); },
    close: () => { closed++; },
  };
  return { w: w as unknown as WavWriter, left, right, closed: () => closed };
}
const frame = (v: number, n = 160) => new Int16Array(n).fill(v);

describe('TimelineRecorder', () => {
  it('places packets by timestamp: reordered ones land in their place, a gap stays silent', () => {
    const f = fakeWriter();
    const rec = new TimelineRecorder(f.w, 1, 1000);
    // First packet arrives 40 ms after the start: anchored at sample 320.
    rec.pushReceived(7, 5000, frame(1), 1040);
    rec.pushReceived(7, 5320, frame(3), 1060); // arrives before 5160
    rec.pushReceived(7, 5160, frame(2), 1061);
    // 5480 is lost; 5640 arrives.
    rec.pushReceived(7, 5640, frame(5), 1100);
    rec.close(1120);
    expect(f.closed()).toBe(1);
    const expected = [...frame(0, 320), ...frame(1), ...frame(2), ...frame(3), ...frame(0), ...frame(5)];
    expect(f.left).toEqual(expected);
  });

  it('writes only what is older than the reorder window while the call goes on, then the rest', () => {
    const f = fakeWriter();
    const rec = new TimelineRecorder(f.w, 1, 0);
    for (let i = 0; i < 100; i++) rec.pushReceived(1, i * 160, frame(i + 1), i * 20);
    rec.flush(2000);
    expect(f.left.length).toBe(8000); // 2 s seen, 1 s held back for late packets
    rec.pushReceived(1, 90 * 160, frame(-1), 2001); // a late duplicate inside the window overwrites nothing new
    rec.close(2000);
    expect(f.left.length).toBe(16000);
    expect(f.left[159]).toBe(1);
    expect(f.left[15999]).toBe(100);
  });

  it('drops packets older than what was written, re-anchors a new SSRC at its arrival', () => {
    const f = fakeWriter();
    const rec = new TimelineRecorder(f.w, 1, 0);
    rec.pushReceived(1, 0, frame(1), 0);
    rec.flush(3000); // writes 2 s
    rec.pushReceived(1, 160, frame(9), 3000); // far too late: dropped
    rec.pushReceived(2, 777_777, frame(4), 3000); // new SSRC: placed at 3.0 s
    rec.close(3020);
    expect(f.left.length).toBe(24160);
    expect(f.left.slice(160, 320)).toEqual([...frame(0)]);
    expect(f.left.slice(24000, 24160)).toEqual([...frame(4)]);
  });

  it('a long call flushed every frame: jittered, reordered and lost packets each land in their place', () => {
    // 60 s of packets with up to 300 ms of arrival jitter (so out of order), every 37th lost, and one
    // packet that arrives 500 ms before its time: the buffer is reused, compacted and grown.
    const out: Int16Array[] = [];
    const w = { write: (pcm: Int16Array) => out.push(pcm.slice()), close: () => undefined } as unknown as WavWriter;
    const rec = new TimelineRecorder(w, 1, 0);
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const frames = 3000;
    const early = 2000;
    const arrivals: Array<{ at: number; i: number }> = [];
    for (let i = 0; i < frames; i++) {
      if (i % 37 === 5) continue;
      arrivals.push({ at: i === early ? early * 20 - 500 : i * 20 + random() * 300, i });
    }
    arrivals.sort((a, b) => a.at - b.at);
    // Packet 0 first, so that the stream is anchored at position 0.
    rec.pushReceived(9, 0, frame(1), 0);
    let next = 0;
    for (let t = 0; t <= frames * 20 + 400; t += 20) {
      while (next < arrivals.length && arrivals[next]!.at <= t) {
        const { i } = arrivals[next++]!;
        if (i !== 0) rec.pushReceived(9, i * 160, frame(i + 1), t);
      }
      rec.flush(t);
    }
    rec.close(frames * 20);
    const got = new Int16Array(out.reduce((a, b) => a + b.length, 0));
    out.reduce((at, b) => (got.set(b, at), at + b.length), 0);
    expect(got.length).toBe(frames * 160);
    // The first sample that differs, if any (comparing 480,000 numbers with toEqual is slow).
    const wrong = got.findIndex((v, k) => v !== (Math.floor(k / 160) % 37 === 5 ? 0 : Math.floor(k / 160) + 1));
    expect(wrong).toBe(-1);
  });

  it('stereo: received left, sent right, on one time base', () => {
    const f = fakeWriter();
    const rec = new TimelineRecorder(f.w, 2, 0);
    rec.pushSent(99, 1000, frame(7), 0);
    rec.pushReceived(1, 4242, frame(8), 20);
    rec.close(40);
    expect(f.left.slice(160, 320)).toEqual([...frame(8)]);
    expect(f.right.slice(0, 160)).toEqual([...frame(7)]);
    expect(f.left.length).toBe(f.right.length);
  });
});
