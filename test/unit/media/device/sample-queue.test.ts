import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SampleQueue } from '../../../../src/media/device/sample-queue.js';

function ramp(from: number, n: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => from + i);
}

describe('SampleQueue', () => {
  it('gives samples back in order across the ring wrap', () => {
    const q = new SampleQueue({ maxSamples: 8, trimToSamples: 4 });
    let next = 0;
    const out: number[] = [];
    for (let round = 0; round < 10; round++) {
      q.push(ramp(next, 5));
      next += 5;
      out.push(...q.take(5)!);
    }
    expect(out).toEqual([...ramp(0, 50)]);
    expect(q.droppedSamples).toBe(0);
  });

  it('take() returns undefined and consumes nothing when short', () => {
    const q = new SampleQueue({ maxSamples: 10, trimToSamples: 5 });
    q.push(ramp(1, 3));
    expect(q.take(4)).toBeUndefined();
    expect(q.length).toBe(3);
    expect([...q.take(3)!]).toEqual([1, 2, 3]);
  });

  it('underrun: takeOrSilence pads with zeros and counts them, then resumes without added delay', () => {
    const q = new SampleQueue({ maxSamples: 10, trimToSamples: 5 });
    expect([...q.takeOrSilence(4)]).toEqual([0, 0, 0, 0]);
    q.push(ramp(1, 6));
    expect([...q.takeOrSilence(4)]).toEqual([1, 2, 3, 4]);
    expect([...q.takeOrSilence(4)]).toEqual([5, 6, 0, 0]);
    expect(q.silenceSamples).toBe(6);
    // The next samples come out at once: nothing of the silence was kept in the queue.
    q.push(ramp(7, 4));
    expect(q.length).toBe(4);
    expect([...q.takeOrSilence(4)]).toEqual([7, 8, 9, 10]);
  });

  it('overflow: drops the oldest down to the low mark (catch-up), keeping the newest', () => {
    const q = new SampleQueue({ maxSamples: 6, trimToSamples: 2 });
    q.push(ramp(1, 4));
    expect(q.push(ramp(5, 2))).toBe(0); // exactly at the bound: kept
    expect(q.push(ramp(7, 1))).toBe(5); // 7 > 6: trimmed to the newest 2
    expect(q.droppedSamples).toBe(5);
    expect([...q.take(2)!]).toEqual([6, 7]);
  });

  it('a single push longer than the bound keeps only its newest low-mark samples', () => {
    const q = new SampleQueue({ maxSamples: 4, trimToSamples: 3 });
    q.push(ramp(100, 2));
    expect(q.push(ramp(1, 10))).toBe(9);
    expect([...q.take(3)!]).toEqual([8, 9, 10]);
  });

  it('a fast producer (drift) never holds more than the bound; a slow one only adds silence', () => {
    // Producer 21 samples per tick, consumer 20: the queue must stay bounded forever.
    const fast = new SampleQueue({ maxSamples: 60, trimToSamples: 20 });
    let maxLen = 0;
    for (let t = 0; t < 10_000; t++) {
      fast.push(new Int16Array(21));
      maxLen = Math.max(maxLen, fast.length);
      fast.takeOrSilence(20);
    }
    expect(maxLen).toBeLessThanOrEqual(60);
    expect(fast.droppedSamples).toBeGreaterThan(0);
    // Every sample is accounted for: in = out + dropped + still queued.
    expect(10_000 * 21).toBe(10_000 * 20 + fast.droppedSamples + fast.length);

    const slow = new SampleQueue({ maxSamples: 60, trimToSamples: 20 });
    for (let t = 0; t < 10_000; t++) {
      slow.push(new Int16Array(19));
      slow.takeOrSilence(20);
      expect(slow.length).toBe(0);
    }
    expect(slow.silenceSamples).toBe(10_000);
    expect(slow.droppedSamples).toBe(0);
  });

  it('matches a plain array model for any sequence of operations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }).map((n) => ['push', n] as const), fc.integer({ min: 0, max: 30 }).map((n) => ['take', n] as const), fc.integer({ min: 0, max: 30 }).map((n) => ['pad', n] as const)), { maxLength: 200 }),
        (ops) => {
          const q = new SampleQueue({ maxSamples: 32, trimToSamples: 12 });
          let model: number[] = [];
          let counter = 0;
          for (const [op, n] of ops) {
            if (op === 'push') {
              const chunk = ramp(counter % 30000, n);
              counter += n;
              q.push(chunk);
              model.push(...chunk);
              if (model.length > 32) model = model.slice(model.length - 12);
            } else if (op === 'take') {
              const got = q.take(n);
              if (model.length < n) expect(got).toBeUndefined();
              else expect([...got!]).toEqual(model.splice(0, n));
            } else {
              const got = [...q.takeOrSilence(n)];
              const have = model.splice(0, n);
              expect(got).toEqual([...have, ...new Array(n - have.length).fill(0)]);
            }
            expect(q.length).toBe(model.length);
          }
        },
      ),
    );
  });

  it('priming: silence until primeSamples are queued, at the start and again after an underrun', () => {
    const q = new SampleQueue({ maxSamples: 12, trimToSamples: 6, primeSamples: 6 });
    q.push(ramp(1, 4));
    expect([...q.takeOrSilence(2)]).toEqual([0, 0]); // 4 < 6: still priming
    q.push(ramp(5, 2));
    expect([...q.takeOrSilence(2)]).toEqual([1, 2]);
    expect([...q.takeOrSilence(2)]).toEqual([3, 4]);
    q.push(ramp(7, 1)); // arrives in time: no underrun
    expect([...q.takeOrSilence(3)]).toEqual([5, 6, 7]);
    expect(q.underruns).toBe(0);
    q.push(ramp(8, 1));
    expect([...q.takeOrSilence(2)]).toEqual([8, 0]); // ran dry
    expect(q.underruns).toBe(1);
    q.push(ramp(9, 5));
    expect([...q.takeOrSilence(2)]).toEqual([0, 0]); // priming again: 5 < 6
    q.push(ramp(14, 1));
    expect([...q.takeOrSilence(6)]).toEqual([9, 10, 11, 12, 13, 14]);
    expect(q.silenceSamples).toBe(2 + 1 + 2);
  });

  it('rejects a policy that cannot work', () => {
    expect(() => new SampleQueue({ maxSamples: 0, trimToSamples: 0 })).toThrow('maxSamples must be a positive integer, got 0');
    expect(() => new SampleQueue({ maxSamples: 4, trimToSamples: 5 })).toThrow('trimToSamples must be within 0..4, got 5');
    expect(() => new SampleQueue({ maxSamples: 8, trimToSamples: 4, primeSamples: 5 })).toThrow('primeSamples must be within 0..4, got 5');
  });
});
