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
