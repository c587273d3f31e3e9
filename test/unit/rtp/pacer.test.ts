import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { DeadlineHeap, type HeapEntry } from '../../../src/rtp/pacer-heap.js';
import { PhasePlanner } from '../../../src/rtp/pacer-phases.js';
import { Pacer, PacerError, clockWake, type PacedStream } from '../../../src/rtp/pacer.js';
import { preciseWake } from '../../../src/rtp/pacer-wake.js';

/** A stream that records when each tick ran. */
function recorder(clock: ManualClock, log: string[] = [], name = 's') {
  const ticks: { n: number; due: number; at: number }[] = [];
  const missed: { first: number; count: number }[] = [];
  const stream: PacedStream = {
    tick(n, due) {
      ticks.push({ n, due, at: clock.now() });
      log.push(`${name}${n}`);
    },
    missed(first, count) {
      missed.push({ first, count });
    },
  };
  return { stream, ticks, missed };
}

describe('DeadlineHeap', () => {
  type E = HeapEntry & { id: number };
  const mk = (id: number, due: number): E => ({ id, due, order: id, index: -1 });

  it('pops in deadline order, ties in insertion order, and removes from the middle', () => {
    const h = new DeadlineHeap<E>();
    const dues = [50, 10, 30, 10, 70, 20, 30, 5, 60, 40];
    const es = dues.map((d, i) => mk(i, d));
    es.forEach((e) => h.push(e));
    expect(h.remove(es[2]!)).toBe(true);
    expect(h.remove(es[2]!)).toBe(false);
    es[4]!.due = 1;
    h.update(es[4]!);
    const out: number[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e.id);
    expect(out).toEqual([4, 7, 1, 3, 5, 6, 9, 0, 8]);
  });

  it('stays a heap under random pushes, updates and removals', () => {
    const h = new DeadlineHeap<E>();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const live = new Set<E>();
    for (let i = 0; i < 2000; i++) {
      const r = rnd();
      if (r < 0.5 || live.size === 0) {
        const e = mk(i, Math.floor(rnd() * 1000));
        h.push(e);
        live.add(e);
      } else if (r < 0.75) {
        const e = [...live][Math.floor(rnd() * live.size)]!;
        e.due = Math.floor(rnd() * 1000);
        h.update(e);
      } else {
        const e = [...live][Math.floor(rnd() * live.size)]!;
        h.remove(e);
        live.delete(e);
      }
    }
    const sorted = [...live].sort((a, b) => a.due - b.due || a.order - b.order).map((e) => e.id);
    const out: number[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e.id);
    expect(out).toEqual(sorted);
  });
});

describe('PhasePlanner', () => {
  it('spreads streams started one after another evenly over the ptime', () => {
    const p = new PhasePlanner(8);
    const offsets = Array.from({ length: 8 }, () => p.allocate(20).offsetMs);
    expect(offsets).toEqual([0, 10, 5, 15, 2.5, 12.5, 7.5, 17.5]);
    expect(p.load(20)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(p.allocate(20).offsetMs).toBe(0); // second round
  });

  it('reuses the slot of a stopped stream first and keeps ptimes apart', () => {
    const p = new PhasePlanner(4);
    const a = p.allocate(20);
    const b = p.allocate(20);
    p.allocate(20);
    p.release(b);
    expect(p.allocate(20).slot).toBe(b.slot);
    expect(p.allocate(30).offsetMs).toBe(0);
    p.release(a);
    expect(p.load(20)).toEqual([0, 1, 1, 0]); // slots taken in order 0, 2, 1
  });

  it('rejects a slot count that is not a power of two', () => {
    expect(() => new PhasePlanner(100)).toThrow('PhasePlanner needs a power of two slots, got 100.');
  });
});

describe('Pacer', () => {
  it('produces packet n of a stream exactly at start + n × ptime', () => {
    const clock = new ManualClock(1000);
    const pacer = new Pacer({ clock });
    const r = recorder(clock);
    pacer.add(r.stream, { start: 1005 });
    clock.advance(4.999);
    expect(r.ticks).toEqual([]);
    clock.advance(0.001);
    expect(r.ticks).toEqual([{ n: 0, due: 1005, at: 1005 }]);
    clock.advance(200);
    expect(r.ticks.map((t) => t.at)).toEqual(Array.from({ length: 11 }, (_, n) => 1005 + 20 * n));
    expect(r.ticks.every((t) => t.at === t.due)).toBe(true);
  });

  it('keeps to the grid over an hour: deadlines come from the start, never drift', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock });
    const r = recorder(clock);
    pacer.add(r.stream, { start: 3, ptimeMs: 30 });
    clock.advance(3_600_000);
    expect(r.ticks.length).toBe(120_000);
    expect(r.ticks[119_999]).toEqual({ n: 119_999, due: 3 + 119_999 * 30, at: 3 + 119_999 * 30 });
  });

  it('serves many streams with one timer, in deadline order', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock });
    const log: string[] = [];
    const a = recorder(clock, log, 'a');
    const b = recorder(clock, log, 'b');
    const c = recorder(clock, log, 'c');
    pacer.add(a.stream, { start: 10 });
    pacer.add(b.stream, { start: 5 });
    pacer.add(c.stream, { start: 10, ptimeMs: 30 });
    expect(clock.pendingCount).toBe(1);
    clock.advance(45);
    expect(log).toEqual(['b0', 'a0', 'c0', 'b1', 'a1', 'c1', 'b2']);
    expect(clock.pendingCount).toBe(1);
  });

  it('staggers streams without an explicit start over the ptime', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, phaseSlots: 4 });
    const rs = Array.from({ length: 4 }, () => recorder(clock));
    const handles = rs.map((r) => pacer.add(r.stream));
    // phases 0, 10, 5, 15 of the grid; first instant at least 1 ms ahead of now
    expect(handles.map((h) => h.start)).toEqual([20, 10, 5, 15]);
    clock.advance(40);
    expect(rs.map((r) => r.ticks.map((t) => t.at))).toEqual([[20, 40], [10, 30], [5, 25], [15, 35]]);
  });

  it('stops a stream: no more ticks, its slot is free, the timer is gone with the last stream', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock });
    const a = recorder(clock);
    const h = pacer.add(a.stream, { start: 0 });
    clock.advance(40);
    h.stop();
    h.stop();
    clock.advance(100);
    expect(a.ticks.map((t) => t.n)).toEqual([0, 1, 2]);
    expect(h.running).toBe(false);
    expect(pacer.size).toBe(0);
    expect(clock.pendingCount).toBe(0);
  });

  it('lets a stream stop itself or add another from inside its tick', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock });
    const late = recorder(clock);
    let count = 0;
    const self = pacer.add(
      {
        tick() {
          if (++count === 2) {
            self.stop();
            pacer.add(late.stream, { start: clock.now() + 5 });
          }
        },
      },
      { start: 0 },
    );
    clock.advance(100);
    expect(count).toBe(2);
    expect(late.ticks.map((t) => t.at)).toEqual([25, 45, 65, 85]);
  });

  it('skips the ticks of a stalled process instead of bursting them, and says so', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, maxLateMs: 50 });
    const r = recorder(clock);
    const h = pacer.add(r.stream, { start: 0 });
    clock.advance(0);
    // The event loop is blocked for 130 ms: nothing runs until the clock jumps.
    (clock as unknown as { t: number }).t = 130;
    clock.advance(0);
    // ticks 1..5 are dropped; tick 6 (due 120) is only 10 ms late and goes out now
    expect(r.missed).toEqual([{ first: 1, count: 5 }]);
    expect(r.ticks.map((t) => [t.n, t.at])).toEqual([[0, 0], [6, 130]]);
    clock.advance(10);
    expect(r.ticks.map((t) => [t.n, t.at])).toEqual([[0, 0], [6, 130], [7, 140]]);
    expect(h.missedTicks).toBe(5);
  });

  it('sends a late packet late when it is within maxLateMs (no loss)', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, maxLateMs: 50 });
    const r = recorder(clock);
    pacer.add(r.stream, { start: 0 });
    clock.advance(0);
    (clock as unknown as { t: number }).t = 45;
    clock.advance(0);
    expect(r.ticks.map((t) => [t.n, t.due, t.at])).toEqual([[0, 0, 0], [1, 20, 45], [2, 40, 45]]);
    clock.advance(15);
    expect(r.ticks.map((t) => t.at)).toEqual([0, 45, 45, 60]);
  });

  it('stops a stream whose tick throws and reports the error; the others go on', () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const pacer = new Pacer({ clock, onError: (e) => errors.push(e) });
    const good = recorder(clock);
    const bad = pacer.add({ tick: () => { throw new Error('boom'); } }, { start: 0 });
    pacer.add(good.stream, { start: 0 });
    clock.advance(40);
    expect(errors).toEqual([new Error('boom')]);
    expect(bad.running).toBe(false);
    expect(good.ticks.length).toBe(3);
  });

  it('rejects a ptime that is not positive', () => {
    const pacer = new Pacer({ clock: new ManualClock() });
    expect(() => pacer.add({ tick() {} }, { ptimeMs: 0 })).toThrow(PacerError);
    expect(() => pacer.add({ tick() {} }, { ptimeMs: 0 })).toThrow(
      'The packet interval must be a positive number of milliseconds, got 0.',
    );
  });

  it('close() stops every stream and the timer', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock });
    const hs = [pacer.add({ tick() {} }), pacer.add({ tick() {} })];
    pacer.close();
    expect(hs.map((h) => h.running)).toEqual([false, false]);
    expect(clock.pendingCount).toBe(0);
  });
});

describe('preciseWake', () => {
  /** A clock whose time moves only when the wake adapter sleeps, spins or a timer fires. */
  function harness() {
    const clock = new ManualClock(0);
    const steps: string[] = [];
    const immediates: (() => void)[] = [];
    let spins = 0;
    const spinClock = Object.create(clock) as ManualClock;
    spinClock.now = () => {
      spins++;
      (clock as unknown as { t: number }).t += 0.001; // every read of the clock costs 1 µs
      return clock.now();
    };
    const wake = preciseWake({
      clock: spinClock,
      immediate: (fn) => {
        steps.push('immediate');
        immediates.push(fn);
        return { cancel: () => immediates.splice(immediates.indexOf(fn), 1) };
      },
      sleep: (ms) => {
        steps.push(`sleep ${ms.toFixed(3)}`);
        (clock as unknown as { t: number }).t += ms;
      },
    });
    const flush = () => {
      while (immediates.length) immediates.shift()!();
    };
    return { clock, wake, steps, flush, spins: () => spins };
  }

  it('wakes as few times as it can: one coarse timer, one event-loop turn, one precise sleep, a short spin', () => {
    const { clock, wake, steps, flush, spins } = harness();
    let firedAt: number | undefined;
    wake.wakeAt(20, () => (firedAt = clock.now()));
    // One timer, aimed 2 ms before the deadline (it fires up to 1 ms later on a real clock).
    expect(clock.pendingCount).toBe(1);
    expect(clock.nextDue()).toBeGreaterThanOrEqual(17);
    expect(clock.nextDue()).toBeLessThanOrEqual(18);
    clock.advance(18 - clock.now());
    expect(clock.pendingCount).toBe(0); // no second, shorter timer
    expect(steps).toEqual(['immediate']);
    const spinsBefore = spins();
    flush();
    // One sleep to the guard before the deadline, then a spin of at most the guard (0.25 ms at 1 µs a read).
    expect(steps).toEqual(['immediate', expect.stringMatching(/^sleep 1\.7\d\d$/)]);
    expect(spins() - spinsBefore).toBeLessThan(260);
    expect(firedAt).toBeDefined();
    expect(firedAt!).toBeGreaterThanOrEqual(20 - 0.005);
    expect(firedAt!).toBeLessThan(20.01);
  });

  it('when the event loop comes back late it does not sleep: within the guard it only spins', () => {
    const { clock, wake, steps, flush } = harness();
    let firedAt: number | undefined;
    wake.wakeAt(20, () => (firedAt = clock.now()));
    clock.advance(19.9); // the timer fired at 18, but the loop turn came back only at 19.9
    flush();
    expect(steps).toEqual(['immediate']); // no sleep: 0.1 ms left is inside the guard
    expect(firedAt!).toBeGreaterThanOrEqual(20 - 0.005);
    expect(firedAt!).toBeLessThan(20.01);
  });

  it('never blocks the thread longer than maxBlockMs: the event loop gets a turn in between', () => {
    const clock = new ManualClock(0);
    const steps: string[] = [];
    const immediates: (() => void)[] = [];
    const wake = preciseWake({
      clock,
      coarseMs: 4,
      maxBlockMs: 1.5,
      immediate: (fn) => {
        steps.push('immediate');
        immediates.push(fn);
        return { cancel: () => undefined };
      },
      sleep: (ms) => {
        steps.push(`sleep ${ms.toFixed(2)}`);
        clock.advance(ms);
      },
    });
    const read = clock.now.bind(clock);
    clock.now = () => {
      clock.advance(0.001); // the spin moves time on: every read costs 1 µs
      return read();
    };
    let fired = false;
    wake.wakeAt(4, () => (fired = true)); // within coarse + 1: straight to the fine wait
    while (immediates.length) immediates.shift()!();
    expect(steps).toEqual(['immediate', 'sleep 1.50', 'immediate', 'sleep 1.50', 'immediate', expect.stringMatching(/^sleep 0\.7\d$/)]);
    expect(steps.filter((s) => s.startsWith('sleep')).every((s) => Number(s.slice(6)) <= 1.5)).toBe(true);
    expect(fired).toBe(true);
  });

  it('learns how late the futex wakes and spins only about that long, never firing early', () => {
    const clock = new ManualClock(0);
    const immediates: (() => void)[] = [];
    let reads = 0;
    const read = clock.now.bind(clock);
    clock.now = () => {
      reads++;
      clock.advance(0.001); // every read of the clock costs 1 µs
      return read();
    };
    const wake = preciseWake({
      clock,
      immediate: (fn) => {
        immediates.push(fn);
        return { cancel: () => undefined };
      },
      sleep: (ms) => clock.advance(ms + 0.08), // this futex always wakes 80 µs late
    });
    const spins: number[] = [];
    const late: number[] = [];
    for (let i = 0; i < 80; i++) {
      const at = read() + 20;
      let firedAt = NaN;
      wake.wakeAt(at, () => (firedAt = read()));
      clock.advance(at - 2 - read()); // the coarse timer
      const before = reads;
      while (immediates.length) immediates.shift()!();
      spins.push(reads - before);
      late.push(firedAt - at);
    }
    expect(late.every((l) => l >= 0 && l < 0.01)).toBe(true); // never early, never late here
    expect(spins[0]).toBeGreaterThan(100); // first wake: the full 0.25 ms guard
    expect(Math.max(...spins.slice(-10))).toBeLessThan(40); // learned: about 0.1 − 0.08 ms of spin
  });

  it('never calls back synchronously, and a cancelled wake never fires', () => {
    const { clock, wake, flush } = harness();
    let fired = 0;
    wake.wakeAt(clock.now() - 5, () => fired++);
    expect(fired).toBe(0);
    flush();
    expect(fired).toBe(1);
    const h = wake.wakeAt(clock.now() + 0.5, () => fired++);
    h.cancel();
    flush();
    clock.advance(5);
    expect(fired).toBe(1);
  });
});

describe('Pacer batching under load (denseStreams)', () => {
  it('from denseStreams streams on, one wake-up sends what is due in the next denseAheadMs: never late, never more than that early', () => {
    const clock = new ManualClock(0);
    const wakes: { at: number; precise: boolean | undefined }[] = [];
    const base = clockWake(clock);
    const pacer = new Pacer({
      clock,
      denseStreams: 50,
      denseAheadMs: 0.3,
      wake: { wakeAt: (at, fn, precise) => (wakes.push({ at, precise }), base.wakeAt(at, fn)) },
    });
    const runs: { due: number; at: number }[] = [];
    for (let i = 0; i < 200; i++) pacer.add({ tick: (_n, due) => runs.push({ due, at: clock.now() }) });
    expect(pacer.dense).toBe(true);
    clock.advance(1000);
    expect(runs.length).toBeGreaterThan(200 * 49);
    for (const r of runs) {
      expect(r.at).toBeLessThanOrEqual(r.due + 1e-9); // never late with an exact clock
      expect(r.due - r.at).toBeLessThanOrEqual(0.3 + 1e-9); // at most denseAheadMs early
    }
    // Far fewer wake-ups than deadlines, and none of them asks for a busy spin.
    const passes = new Set(runs.map((r) => r.at)).size;
    expect(passes).toBeLessThanOrEqual(Math.ceil(1000 / 0.3) + 1);
    expect(passes).toBeLessThan(runs.length / 3);
    expect(wakes.slice(-10).every((w) => w.precise === false)).toBe(true);
  });

  it('below denseStreams every packet runs exactly at its deadline, with a precise wake', () => {
    const clock = new ManualClock(0);
    const wakes: (boolean | undefined)[] = [];
    const base = clockWake(clock);
    const pacer = new Pacer({ clock, denseStreams: 50, wake: { wakeAt: (at, fn, precise) => (wakes.push(precise), base.wakeAt(at, fn)) } });
    const runs: { due: number; at: number }[] = [];
    for (let i = 0; i < 49; i++) pacer.add({ tick: (_n, due) => runs.push({ due, at: clock.now() }) });
    expect(pacer.dense).toBe(false);
    clock.advance(200);
    expect(runs.every((r) => r.at === r.due)).toBe(true);
    expect(wakes.every((p) => p === true)).toBe(true);
  });
});
