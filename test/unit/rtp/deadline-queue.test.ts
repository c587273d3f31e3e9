import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type TimerHandle } from '../../../src/util/clock.js';
import { DeadlineQueue } from '../../../src/rtp/deadline-queue.js';

describe('DeadlineQueue', () => {
  it('delivers each item at its deadline, in deadline order, ties in arrival order', () => {
    const clock = new ManualClock();
    const out: string[] = [];
    const q = new DeadlineQueue<string>({ clock, deliver: (item, due) => out.push(`${item}@${due}/${clock.now()}`) });
    q.schedule(30, 'c');
    q.schedule(10, 'a');
    q.schedule(20, 'b1');
    q.schedule(20, 'b2');
    expect(q.size).toBe(4);
    expect(q.nextDue).toBe(10);
    clock.advance(9);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual(['a@10/10']);
    clock.advance(20);
    expect(out).toEqual(['a@10/10', 'b1@20/20', 'b2@20/20', 'c@30/30']);
    expect(q.stats).toMatchObject({ delivered: 4, late: 0, arrivedLate: 0 });
  });

  it('sends an item whose deadline has passed (or NaN) at the next wake, and counts it as arrived late', () => {
    const clock = new ManualClock(100);
    const out: string[] = [];
    const q = new DeadlineQueue<string>({ clock, deliver: (item) => out.push(`${item}@${clock.now()}`) });
    q.schedule(50, 'past');
    q.schedule(NaN, 'now');
    expect(out).toEqual([]); // never synchronously
    clock.advance(0);
    expect(out).toEqual(['now@100', 'past@100']); // NaN is "as soon as possible": first
    expect(q.stats.arrivedLate).toBe(1);
    expect(q.stats.late).toBe(1);
    expect(q.stats.maxLateMs).toBe(50);
  });

  it('re-arms for an earlier item scheduled after a later one', () => {
    const clock = new ManualClock();
    const out: number[] = [];
    const q = new DeadlineQueue<number>({ clock, deliver: (i) => out.push(clock.now()) && void i });
    q.schedule(50, 1);
    q.schedule(5, 2);
    clock.advance(5);
    expect(out).toEqual([5]);
    clock.advance(45);
    expect(out).toEqual([5, 50]);
  });

  it('sends items due within aheadMs in the same pass', () => {
    const clock = new ManualClock();
    const out: number[] = [];
    const q = new DeadlineQueue<number>({ clock, aheadMs: 0.05, deliver: (i) => out.push(i) });
    q.schedule(10, 1);
    q.schedule(10.04, 2);
    q.schedule(10.2, 3);
    clock.advance(10);
    expect(out).toEqual([1, 2]);
    clock.advance(0.2);
    expect(out).toEqual([1, 2, 3]);
  });

  it('discards the items of a closed socket, and close() drops everything', () => {
    const clock = new ManualClock();
    const out: string[] = [];
    const q = new DeadlineQueue<string>({ clock, deliver: (i) => out.push(i) });
    for (const [d, s] of [[1, 'x1'], [2, 'y1'], [3, 'x2']] as const) q.schedule(d, s);
    expect(q.discard((i) => i.startsWith('x'))).toBe(2);
    clock.advance(5);
    expect(out).toEqual(['y1']);
    q.schedule(10, 'z');
    q.close();
    q.schedule(11, 'w');
    clock.advance(10);
    expect(out).toEqual(['y1']);
    expect(clock.pendingCount).toBe(0);
  });

  it('a delivery that throws is reported and the others still go out', () => {
    const clock = new ManualClock();
    const out: number[] = [];
    const errors: unknown[] = [];
    const q = new DeadlineQueue<number>({
      clock,
      onError: (e) => errors.push(e),
      deliver: (i) => {
        if (i === 2) throw new Error('boom');
        out.push(i);
      },
    });
    [1, 2, 3].forEach((i) => q.schedule(i, i));
    clock.advance(3);
    expect(out).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
  });

  /** A clock whose time moves only when the queue holds (blocks) or when the test says. */
  function holdingClock() {
    let t = 0;
    const timers: { at: number; fn: () => void; live: boolean }[] = [];
    const clock: Clock = {
      now: () => t,
      wallNow: () => t,
      setTimeout(fn, ms): TimerHandle {
        const e = { at: t + ms, fn, live: true };
        timers.push(e);
        return { cancel: () => void (e.live = false) };
      },
    };
    const runTimers = (): void => {
      for (;;) {
        const e = timers.find((x) => x.live && x.at <= t);
        if (!e) return;
        e.live = false;
        e.fn();
      }
    };
    return { clock, set: (v: number) => void (t = v), add: (ms: number) => void (t += ms), runTimers, timers };
  }

  it('with hold, waits in place for close deadlines and yields after maxPassMs', () => {
    const h = holdingClock();
    const holds: number[] = [];
    const out: string[] = [];
    const q = new DeadlineQueue<number>({
      clock: h.clock,
      maxPassMs: 1,
      holdMs: 0.5,
      hold: (ms) => {
        holds.push(ms);
        h.add(ms);
      },
      deliver: (i) => out.push(`${i}@${h.clock.now().toFixed(2)}`),
    });
    // deadlines 0.2 ms apart from t=1: the first pass holds between them for up to 1 ms, then yields
    for (let i = 0; i < 10; i++) q.schedule(1 + i * 0.2, i);
    h.set(1);
    h.runTimers();
    expect(out).toEqual(['0@1.00', '1@1.20', '2@1.40', '3@1.60', '4@1.80', '5@2.00']);
    expect(holds.every((ms) => Math.abs(ms - 0.2) < 1e-9)).toBe(true);
    expect(q.size).toBe(4); // a new wake is armed; the event loop gets its turn first
    h.runTimers();
    expect(out.length).toBe(6);
    h.set(2.2);
    h.runTimers();
    expect(out.length).toBe(10);
    // a gap longer than holdMs is not held: the wake scheduler gets it
    holds.length = 0;
    q.schedule(h.clock.now() + 5, 99);
    h.runTimers();
    expect(holds).toEqual([]);
    expect(out.length).toBe(10);
    h.add(5);
    h.runTimers();
    expect(out.at(-1)).toMatch(/^99@/);
  });
});
