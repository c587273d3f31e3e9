/**
 * Sub-millisecond wake-ups for the pacer on the main thread (the I/O adapter of pacer.ts).
 *
 * libuv timers work in whole milliseconds and fire up to ~1 ms late, which caps plain-timer pacing at
 * ~1 ms p99. To wake at a deadline `at` within tens of microseconds:
 *   1. a coarse clock timer brings us to about `coarseMs` before `at` (never later than `at` − 1 ms);
 *   2. one `setImmediate` turn lets the event loop serve pending I/O (received RTP, SIP, RTCP), so the
 *      loop is never starved even when 1000 streams keep a deadline every 20 µs;
 *   3. `Atomics.wait` on a private SharedArrayBuffer sleeps the remaining time with microsecond
 *      resolution and no CPU (a futex with a timeout; Node allows it on the main thread), at most
 *      `maxBlockMs` at a time before serving the event loop again;
 *   4. the last `spinMs` (the kernel's default timer slack is 50 µs, so a futex wakes up to that late) is
 *      a busy spin on the clock.
 * `toleranceMs` is the accuracy asked for: the callback fires once `at − toleranceMs` is reached. A
 * larger tolerance with a larger `aheadMs` in the pacer trades precision for CPU.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { WakeScheduler } from './pacer.js';

export interface PreciseWakeOptions {
  clock: Clock;
  /** Hand over from the coarse timer to the fine wait this long before the deadline (ms). Default 2. */
  coarseMs?: number;
  /** Fire once the deadline is this close (ms). Default 0.005. */
  toleranceMs?: number;
  /** Busy-spin the last stretch of this length (ms). Default 0.06. */
  spinMs?: number;
  /** Longest single blocking sleep before the event loop gets another turn (ms). Default 1. */
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
  const spinMs = options.spinMs ?? 0.06;
  const maxBlockMs = options.maxBlockMs ?? 1;
  const immediate = options.immediate ?? defaultImmediate;
  const sleep = options.sleep ?? atomicsSleeper();

  return {
    wakeAt(at: number, fn: () => void): TimerHandle {
      let cancelled = false;
      let pending: TimerHandle | undefined;
      const step = (): void => {
        pending = undefined;
        if (cancelled) return;
        let left = at - clock.now();
        if (left > coarseMs) {
          // The coarse timer fires up to ~1 ms late: aim at coarseMs before the deadline.
          pending = clock.setTimeout(step, Math.floor(left - coarseMs));
          return;
        }
        if (left > spinMs + toleranceMs) {
          sleep(Math.min(left - spinMs, maxBlockMs));
          left = at - clock.now();
          if (left > spinMs + toleranceMs) {
            pending = immediate(step); // give the event loop a turn, then wait again
            return;
          }
        }
        while (at - clock.now() > toleranceMs) {
          // spin: the last few tens of microseconds, below the kernel's timer slack
        }
        fn();
      };
      // Never call fn synchronously: first serve the event loop once.
      if (at - clock.now() > coarseMs) step();
      else pending = immediate(step);
      return {
        cancel: () => {
          cancelled = true;
          pending?.cancel();
        },
      };
    },
  };
}
