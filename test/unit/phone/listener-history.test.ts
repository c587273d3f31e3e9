import { describe, expect, it } from 'vitest';
import { CallListener } from '../../../src/phone/waits.js';
import { FakeSource } from './waits-fake-source.js';

/** Frame n holds the value n + 1 in every sample, so any slice of the history tells where it came from. */
const frame = (n: number): Int16Array => new Int16Array(160).fill(n + 1);

describe('ListenerCore history (audioBetween)', () => {
  it('returns the frames heard between two times, across its 1 s chunks', () => {
    const src = new FakeSource();
    const l = new CallListener(src, src.clock);
    for (let n = 0; n < 130; n++) src.feed(frame(n)); // 2.6 s: three chunks
    const a = l.audioBetween(900, 1100); // frames 45..54, across the first chunk boundary
    expect(a.length).toBe(10 * 160);
    expect(a[0]).toBe(46);
    expect(a[a.length - 1]).toBe(55);
    expect([...new Set(a)]).toEqual([46, 47, 48, 49, 50, 51, 52, 53, 54, 55]);
    expect(l.audioBetween(0).length).toBe(130 * 160);
    expect(l.audioBetween(2500)[0]).toBe(126);
    expect(l.audioBetween(3000).length).toBe(0); // after what was heard
  });

  it('keeps only historyMs: older frames are gone, the rest keep their times', () => {
    const src = new FakeSource();
    const l = new CallListener(src, src.clock, { historyMs: 1500 });
    for (let n = 0; n < 260; n++) src.feed(frame(n)); // 5.2 s heard, 1.5 s kept
    const all = l.audioBetween(0);
    expect(all.length).toBe(75 * 160);
    expect(all[0]).toBe(186); // frame 185 (3.7 s) is the oldest kept
    expect(all[all.length - 1]).toBe(260);
    const b = l.audioBetween(4000, 4100);
    expect([...new Set(b)]).toEqual([201, 202, 203, 204, 205]);
  });
});
