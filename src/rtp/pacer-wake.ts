/**
 * Sub-millisecond wake-ups for the pacer on the main thread (the I/O adapter of pacer.ts).
 *
 * libuv timers work in whole milliseconds and fire up to ~1 ms late, which caps plain-timer pacing at
 * ~1 ms p99. To wake at a deadline `at` within tens of microseconds, with as FEW wake-ups as possible:
 *   1. a coarse clock timer brings us to within about `coarseMs` ± 1 of `at` (one timer,
 *      never a chain of short ones: each extra wake-up is one more chance to find the CPU taken);
 *   2. one `setImmediate` turn lets the event loop serve pending I/O (received RTP, SIP, RTCP), so the
 *      loop is never starved even when 1000 streams keep a deadline every 20 µs;
 *   3. ONE `Atomics.wait` on a private SharedArrayBuffer sleeps until a short guard before `at` with
 *      microsecond resolution and no CPU (a futex with a timeout; Node allows it on the main thread);
 *      it blocks the thread at most `maxBlockMs`, after which the event loop gets another turn;
 *   4. the last stretch is a busy spin on the clock: a futex wakes up a little late (the kernel's timer
 *      slack plus the wake-up itself). The spin is as long as the futex's usual lateness, learned as it
 *      goes (at most `guardMs`).
 * Why so few wake-ups: on a shared virtual machine a woken thread sometimes waits milliseconds for its
 * CPU, timers and futexes alike, and every wake-up is one more chance to meet that. What removes the
 * delay is real-time scheduling of this thread (`--realtime`, src/cli/realtime.ts).
 * The callback never fires before `at`: the pacer sends only what is due, and a wake a few microseconds
 * early would cost it one more event-loop turn. `toleranceMs` only decides when a sleep is still worth
 * taking.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { WakeScheduler } from './pacer.js';

export interface PreciseWakeOptions {
  clock: Clock;
  /** Aim the coarse timer this long before the deadline (ms); it fires up to 1 ms later. Default 2. */
  coarseMs?: number;
  /** A sleep shorter than guardMs + this is not worth a futex: spin instead (ms). Default 0.005. */
  toleranceMs?: number;
  /**
   * The longest busy spin before the deadline (ms). Default 0.25. The spin actually used is learned:
   * about the futex's usual late wake-up (a running average of what it overshot, outliers clipped),
   * between `minGuardMs` and this. A spin is not free: each clock read allocates, so a long spin a packet
   * means more young-generation collections on this thread.
   */
  guardMs?: number;
  /** The shortest spin kept however punctual the futex is (ms). Default 0.02. */
  minGuardMs?: number;
  /** Longest single blocking sleep before the event loop gets another turn (ms). Default 4. */
  maxBlockMs?: number;
  /** Runs a callback after pending I/O. Default: setImmediate. */
  immediate?: (fn: () => void) => { cancel(): void };
  /** Blocks the thread for `ms` (fractional). Default: Atomics.wait with a timeout. */
  sleep?: (ms: number) => void;
}

const defaultImmediate = (fn: () => void): { cancel(): void } => {
  const h = setImmediate(fn);
  return { cancel: () => clearImmediate(h) };
};

function atomicsSleeper(): (ms: number) => void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (ms) => {
    if (ms > 0) Atomics.wait(cell, 0, 0, ms);
  };
}

export function preciseWake(options: PreciseWakeOptions): WakeScheduler {
  const clock = options.clock;
  const coarseMs = options.coarseMs ?? 2;
  const toleranceMs = options.toleranceMs ?? 0.005;
  const guardMs = options.guardMs ?? 0.25;
  const minGuardMs = Math.min(options.minGuardMs ?? 0.02, guardMs);
  // Learned late wake-up of the futex (ms): starts at the cap, follows a running average of the
  // overshoots seen (each clipped to the cap, so a rare multi-millisecond stall does not inflate it).
  let overshoot = guardMs;
  const learnedGuard = (): number => Math.min(guardMs, Math.max(minGuardMs, overshoot * 1.2));
  const maxBlockMs = options.maxBlockMs ?? 4;
  const immediate = options.immediate ?? defaultImmediate;
  const sleep = options.sleep ?? atomicsSleeper();

  return {
    wakeAt(at: number, fn: () => void, precise = true): TimerHandle {
      let cancelled = false;
      let served = false; // the event loop had its turn since the coarse timer
      let pending: TimerHandle | undefined;
      const step = (): void => {
        pending = undefined;
        if (cancelled) return;
        let left = at - clock.now();
        if (left > coarseMs + 2) {
          // Whole milliseconds on a loop clock truncated to the millisecond: it fires between about
          // coarseMs − 1 and coarseMs + 2 before the deadline; closer than that, the fine wait takes over.
          pending = clock.setTimeout(step, Math.floor(left - coarseMs));
          return;
        }
        if (!served) {
          served = true;
          pending = immediate(step);
          return;
        }
        const guard = precise ? learnedGuard() : 0;
        if (left > guard + toleranceMs) {
          const ask = Math.min(left - guard, maxBlockMs);
          const before = clock.now();
          sleep(ask);
          const after = clock.now();
          overshoot += (Math.min(Math.max(after - before - ask, 0), guardMs) - overshoot) / 16;
          left = at - after;
          if (left > guard + toleranceMs) {
            pending = immediate(step); // blocked maxBlockMs: give the event loop a turn, then wait again
            return;
          }
        }
        while (precise && clock.now() < at) {
          // spin: the last stretch, below the futex's wake-up accuracy. Never early: the pacer sends
          // only what is due, and a wake a few µs early would cost it a whole extra event-loop turn.
        }
        fn();
      };
      step();
      return {
        cancel: () => {
          cancelled = true;
          pending?.cancel();
        },
      };
    },
  };
}
