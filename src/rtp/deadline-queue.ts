/**
 * One-shot send deadlines: the core of the RTP I/O engine's worker (rtp-io-worker.ts).
 *
 * The main thread produces each RTP packet a lookahead ahead of its deadline and hands it over with that
 * deadline; this queue holds the packets in one min-heap (pacer-heap.ts) and, when woken, delivers every
 * packet due, in deadline order (ties in arrival order), from that one callback. Then it asks its wake
 * scheduler for the next earliest deadline — in the worker a `preciseWake` (a coarse timer to ~2 ms
 * before, `Atomics.wait` for the rest, a spin of the last tens of microseconds), exactly the design
 * shared/recipes/rtp-pacing.md found to hold 0.5 ms p99 at 1000 streams.
 *
 * A pass delivers for at most `maxPassMs` before it yields (the wake scheduler comes back after one turn
 * of the event loop), so the worker's receive path and its messages are served at least that often even
 * when a deadline falls every 20 µs.
 *
 * A packet whose deadline has already passed when it arrives goes out at the next wake (as soon as
 * possible), never dropped: a late packet is better than a hole for the peer's jitter buffer.
 *
 * Pure and clock-injected: unit tests drive it with ManualClock and `clockWake`.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { DeadlineHeap, type HeapEntry } from './pacer-heap.js';
import { clockWake, type WakeScheduler } from './pacer.js';

export interface DeadlineQueueOptions<T> {
  clock: Clock;
  /** Default: `clockWake(clock)`. The worker uses `preciseWake`. */
  wake?: WakeScheduler;
  /** Sends one item; `due` is its deadline (-Infinity: "as soon as possible"). */
  deliver(item: T, due: number): void;
  /** Longest stretch of delivering before yielding to the event loop (ms). Default 2. */
  maxPassMs?: number;
  /**
   * Items due within this long after "now" go out in the current pass (ms). Default 0. With 1000
   * streams a deadline falls every 20 µs: waking (and spinning) for each one would burn a core, so a
   * few tens of microseconds early is the better error.
   */
  aheadMs?: number;
  /**
   * Blocks the thread for `ms` (fractional; Atomics.wait in the worker). When given, a pass that finds
   * the next item due within `holdMs` waits for it in place instead of going back to the event loop —
   * one event-loop turn per `maxPassMs` instead of one per packet, which is what keeps 1000 streams
   * under a core. Default: none (every wait goes through the wake scheduler).
   */
  hold?: (ms: number) => void;
  /** Longest wait done in place by `hold` (ms). Default 1. */
  holdMs?: number;
  /** An item's delivery threw: reported here, the pass goes on. Default: rethrown asynchronously. */
  onError?: (error: unknown) => void;
}

interface Slot<T> extends HeapEntry {
  readonly item: T;
}

export interface DeadlineQueueStats {
  /** Items delivered. */
  delivered: number;
  /** Items delivered later than `lateMs` after their deadline (see `lateAfterMs`). */
  late: number;
  /** Largest lateness seen (ms), measured on the queue's own clock at delivery. */
  maxLateMs: number;
  /** Items whose deadline had already passed when they were scheduled (the producer was late). */
  arrivedLate: number;
}

export class DeadlineQueue<T> {
  private readonly clock: Clock;
  private readonly wake: WakeScheduler;
  private readonly heap = new DeadlineHeap<Slot<T>>();
  private readonly deliver: (item: T, due: number) => void;
  private readonly maxPassMs: number;
  private readonly aheadMs: number;
  private readonly hold: ((ms: number) => void) | undefined;
  private readonly holdMs: number;
  private readonly onError: (error: unknown) => void;
  private order = 0;
  private timer: TimerHandle | undefined;
  private armedFor = Infinity;
  private running = false;
  private closed = false;
  /** Lateness above this counts in `stats.late` (ms). */
  lateAfterMs = 1;
  readonly stats: DeadlineQueueStats = { delivered: 0, late: 0, maxLateMs: 0, arrivedLate: 0 };

  constructor(options: DeadlineQueueOptions<T>) {
    this.clock = options.clock;
    this.wake = options.wake ?? clockWake(options.clock);
    this.deliver = options.deliver;
    this.maxPassMs = options.maxPassMs ?? 2;
    this.aheadMs = options.aheadMs ?? 0;
    this.hold = options.hold;
    this.holdMs = options.holdMs ?? 1;
    this.onError =
      options.onError ??
      ((error) => {
        queueMicrotask(() => {
          throw error;
        });
      });
  }

  /** Items waiting. */
  get size(): number {
    return this.heap.size;
  }

  /** Deadline of the earliest item, or undefined. */
  get nextDue(): number | undefined {
    return this.heap.peek()?.due;
  }

  /** Queues `item` for delivery at `due` (ms on the queue's clock; NaN or the past: as soon as possible). */
  schedule(due: number, item: T): void {
    if (this.closed) return;
    const at = Number.isNaN(due) ? -Infinity : due;
    if (at !== -Infinity && at < this.clock.now()) this.stats.arrivedLate++;
    this.heap.push({ due: at, order: this.order++, index: -1, item });
    this.arm();
  }

  /** Drops every waiting item for which `drop` is true (a socket closed). Returns how many. */
  discard(drop: (item: T) => boolean): number {
    const keep: Slot<T>[] = [];
    let dropped = 0;
    for (let s = this.heap.pop(); s; s = this.heap.pop()) {
      if (drop(s.item)) dropped++;
      else keep.push(s);
    }
    for (const s of keep) this.heap.push(s);
    this.arm();
    return dropped;
  }

  /** Drops everything and stops waking. */
  close(): void {
    this.closed = true;
    while (this.heap.pop());
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    if (this.running || this.closed) return;
    const top = this.heap.peek();
    if (!top) {
      this.timer?.cancel();
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer && this.armedFor <= top.due) return;
    this.timer?.cancel();
    this.armedFor = top.due;
    this.timer = this.wake.wakeAt(Math.max(top.due, this.clock.now()), this.run);
  }

  private readonly run = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.running = true;
    const clock = this.clock;
    const passStart = clock.now();
    const stats = this.stats;
    try {
      for (;;) {
        const top = this.heap.peek();
        if (!top) break;
        let now = clock.now();
        if (now - passStart > this.maxPassMs) break; // yield: the wake comes back after one loop turn
        if (top.due > now + this.aheadMs) {
          const wait = top.due - this.aheadMs - now;
          if (!this.hold || wait > this.holdMs || now + wait - passStart > this.maxPassMs) break;
          this.hold(wait);
          now = clock.now();
          if (top.due > now + this.aheadMs) continue;
        }
        this.heap.pop();
        const late = top.due === -Infinity ? 0 : Math.max(0, now - top.due);
        stats.delivered++;
        if (late > this.lateAfterMs) stats.late++;
        if (late > stats.maxLateMs) stats.maxLateMs = late;
        try {
          this.deliver(top.item, top.due);
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.running = false;
      this.arm();
    }
  };
}
