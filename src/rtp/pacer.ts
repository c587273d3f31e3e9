/**
 * The RTP pacer: ONE scheduler for every RTP stream of the process (not a timer per call).
 *
 * Deadlines. Packet n of a stream is due at `start + n × ptime` on the injected clock. Deadlines are
 * computed from the start, never chained (`next = now + 20`): a chain of relative timeouts runs 2–7 %
 * slow on Node because each timer fires late and the lateness accumulates. Here a late packet is late
 * alone; the next one is due on the grid again.
 *
 * One min-heap of deadlines (pacer-heap.ts) holds one entry per stream. When woken, the pacer sends every
 * packet due (a burst of streams sharing a phase goes out in one pass, in the order they were added),
 * pushes each stream back with its next deadline and asks its wake scheduler for the earliest one.
 *
 * Staggered phases (pacer-phases.ts): a new stream is started at a phase of the ptime grid chosen to
 * spread streams evenly, as a phone chooses its own send phase. Streams "in step" make bursts, and the
 * burst length — not the timer — then bounds the precision.
 *
 * Waking precisely (the design choice). Node timers have a 1 ms granularity, which caps plain-timer
 * pacing at about 1 ms p99. The pacer core is pure and takes a `WakeScheduler`:
 *   - `clockWake(clock)` (default): the clock's setTimeout; exact with ManualClock in unit tests.
 *   - `preciseWake(...)` (pacer-wake.ts, the production choice): one coarse clock timer ~2 ms before the
 *     deadline, one pass through the event loop (`setImmediate`) so received RTP, SIP and RTCP are still
 *     served, then ONE `Atomics.wait` sleep with microsecond resolution (no CPU burnt) and a spin as long
 *     as the futex's usual late wake-up (learned). As few wake-ups as possible: on a shared VM each one
 *     can find the CPU taken for milliseconds (the benchmark's findings, README "RTP pacing"); with
 *     `--realtime` the main thread runs SCHED_FIFO. Everything stays on the main thread, so the payload
 *     sources (`poll()`) run synchronously exactly at the deadline, and the packet leaves from the very
 *     socket that receives (symmetric RTP, RFC 4961: peers latch on our source port).
 * Under load (`denseStreams`, default 48 streams) the pacer batches: it wakes at the earliest deadline
 * without a spin and sends what falls due in the next `denseAheadMs` (0.3 ms) in the same pass.
 * The native engine (io-engine.ts, chosen with rtp-transport.ts): the sockets and the send timing live in
 * a C++ thread; this pacer then only produces payloads `leadMs` ahead of each deadline
 * (PacedStreamOptions.leadMs) and the thread sends each packet at its deadline.
 *
 * Overload. A stream more than `maxLateMs` behind (the process stalled: GC, a blocked event loop, a
 * suspended laptop) does not burst every missed packet; the missed ticks are reported to the stream
 * (`missed(count)`, which moves its RTP timestamp on) and it resumes on the grid.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { DeadlineHeap, type HeapEntry } from './pacer-heap.js';
import { PhasePlanner, type PhaseSlot } from './pacer-phases.js';

/** What the pacer drives: anything that produces one packet (or nothing) per tick. */
export interface PacedStream {
  /**
   * Tick n of the stream is due now: produce and send its packet (or decide to skip it). `due` is the
   * deadline of tick n on the pacer's clock (`start + n × ptime`).
   */
  tick(n: number, due: number): void;
  /** `count` ticks (from tick `first`) passed while the process could not serve them; nothing was sent. */
  missed?(first: number, count: number): void;
}

/** How the pacer gets control back at an instant on its clock. */
export interface WakeScheduler {
  /**
   * Calls `fn` once, as close as possible to `at` (ms on the pacer's clock) and never synchronously.
   * `precise` false: a little late is fine (the pacer is batching): do not burn CPU for the last
   * fraction of a millisecond.
   */
  wakeAt(at: number, fn: () => void, precise?: boolean): TimerHandle;
}

/** The clock's own timers: 1 ms granularity on a RealClock, exact on a ManualClock. */
export function clockWake(clock: Clock): WakeScheduler {
  return { wakeAt: (at, fn) => clock.setTimeout(fn, at - clock.now()) };
}

export interface PacerOptions {
  clock: Clock;
  /** Default: `clockWake(clock)`. Production: `preciseWake(...)` from pacer-wake.ts. */
  wake?: WakeScheduler;
  /** Packets due at most this long after "now" go out in the current pass (ms). Default 0. */
  aheadMs?: number;
  /**
   * Batching under load. From `denseStreams` streams on (default 48), the pacer wakes at the earliest
   * deadline without a busy spin and a pass also sends what falls due within the next `denseAheadMs`
   * (default 0.3): at most one wake-up (and one event-loop turn) per denseAheadMs whatever the stream
   * count, and the CPU a spin would burn is left to the sockets (each send costs microseconds of kernel
   * time) and to the other processes of a small machine. A packet then leaves up to denseAheadMs early
   * (plus the futex's late wake) instead of within tens of microseconds. Infinity: never batch.
   */
  denseStreams?: number;
  denseAheadMs?: number;
  /** A stream later than this skips its missed ticks instead of bursting them (ms). Default 200. */
  maxLateMs?: number;
  /** After sending for this long without a break, the pacer yields to the event loop (ms). Default 2. */
  maxPassMs?: number;
  /** Slots of the phase grid (a power of two). Default 256: 78 µs apart at 20 ms. */
  phaseSlots?: number;
  /** A stream whose tick throws is stopped and the error reported here. Default: rethrown asynchronously. */
  onError?: (error: unknown, stream: PacedHandle) => void;
}

export interface PacedStreamOptions {
  /** Packet interval (ms). Default 20 (RFC 3551 §4.5: 20 ms is the default packetization of G.711). */
  ptimeMs?: number;
  /**
   * Deadline of tick 0 on the pacer's clock. Default: the first instant, at least `leadMs` + 1 ms from now,
   * of a phase chosen to spread streams.
   */
  start?: number;
  /**
   * Run each tick this long BEFORE its deadline (ms; default 0). For a stream whose packets are handed to
   * an I/O engine that sends them itself at the deadline (io-engine.ts, the native I/O thread): the tick
   * still receives the true deadline as `due`, and the engine holds the packet until then.
   */
  leadMs?: number;
}

export interface PacedHandle {
  readonly ptimeMs: number;
  /** How long before its deadline each tick runs (ms). */
  readonly leadMs: number;
  /** Deadline of tick 0. */
  readonly start: number;
  /** The next tick to be produced. */
  readonly nextTick: number;
  /** Deadline of `nextTick`. */
  readonly nextDue: number;
  readonly running: boolean;
  /** Ticks skipped because the process was too late to serve them. */
  readonly missedTicks: number;
  /** Stops the stream; its phase slot becomes free. Idempotent. */
  stop(): void;
}

export class PacerError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTP_PACER');
  }
}

interface Entry extends HeapEntry, PacedHandle {
  readonly stream: PacedStream;
  phase: PhaseSlot | undefined;
  nextTick: number;
  nextDue: number;
  running: boolean;
  missedTicks: number;
}

export class Pacer {
  private readonly clock: Clock;
  private readonly wake: WakeScheduler;
  private readonly heap = new DeadlineHeap<Entry>();
  private readonly phases: PhasePlanner;
  private readonly epoch: number;
  private readonly aheadMs: number;
  private readonly denseStreams: number;
  private readonly denseAheadMs: number;
  private readonly maxLateMs: number;
  private readonly maxPassMs: number;
  private readonly onError: (error: unknown, stream: PacedHandle) => void;
  private order = 0;
  private timer: TimerHandle | undefined;
  private armedFor = Infinity;
  private running = false;

  constructor(options: PacerOptions) {
    this.clock = options.clock;
    this.wake = options.wake ?? clockWake(options.clock);
    this.aheadMs = options.aheadMs ?? 0;
    this.denseStreams = options.denseStreams ?? 48;
    this.denseAheadMs = options.denseAheadMs ?? 0.3;
    this.maxLateMs = options.maxLateMs ?? 200;
    this.maxPassMs = options.maxPassMs ?? 2;
    this.phases = new PhasePlanner(options.phaseSlots ?? 256);
    this.onError =
      options.onError ??
      ((error) => {
        queueMicrotask(() => {
          throw error;
        });
      });
    this.epoch = this.clock.now();
  }

  /** Number of streams being paced. */
  get size(): number {
    return this.heap.size;
  }

  /** True while the pacer batches (at least `denseStreams` streams). */
  get dense(): boolean {
    return this.heap.size >= this.denseStreams;
  }

  /** Starts pacing `stream`: tick 0 at `options.start` or at the next instant of a staggered phase. */
  add(stream: PacedStream, options: PacedStreamOptions = {}): PacedHandle {
    const ptimeMs = options.ptimeMs ?? 20;
    if (!(ptimeMs > 0) || !Number.isFinite(ptimeMs)) {
      throw new PacerError(`The packet interval must be a positive number of milliseconds, got ${ptimeMs}.`);
    }
    const leadMs = options.leadMs ?? 0;
    if (!(leadMs >= 0) || !Number.isFinite(leadMs)) {
      throw new PacerError(`The lead must be zero or a positive number of milliseconds, got ${leadMs}.`);
    }
    let phase: PhaseSlot | undefined;
    let start = options.start;
    if (start === undefined) {
      phase = this.phases.allocate(ptimeMs);
      // The first instant ≥ now + 1 ms (time to set the stream up) + the lead on this phase of the shared
      // grid: tick 0 is then produced `leadMs` ahead like every other tick. Without the lead here, tick 0
      // of every stream would already be late when produced, and a thousand streams started together on a
      // cold main thread would reach the I/O thread late for their first fraction of a second.
      const base = this.epoch + phase.offsetMs;
      const earliest = this.clock.now() + 1 + leadMs;
      start = base + Math.ceil((earliest - base) / ptimeMs) * ptimeMs;
    }
    const heap = this.heap;
    const phases = this.phases;
    const entry: Entry = {
      due: start - leadMs,
      order: this.order++,
      index: -1,
      stream,
      phase,
      ptimeMs,
      leadMs,
      start,
      nextTick: 0,
      nextDue: start,
      running: true,
      missedTicks: 0,
      stop(): void {
        if (!entry.running) return;
        entry.running = false;
        heap.remove(entry);
        if (entry.phase) phases.release(entry.phase);
        entry.phase = undefined;
      },
    };
    heap.push(entry);
    this.arm();
    return entry;
  }

  /** Stops every stream and the wake-up timer. */
  close(): void {
    for (let e = this.heap.peek(); e; e = this.heap.peek()) e.stop();
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  /** Makes sure a wake-up is pending for the earliest deadline. */
  private arm(): void {
    if (this.running) return; // run() re-arms when it finishes
    const top = this.heap.peek();
    if (!top) {
      this.timer?.cancel();
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    // Batching: wake at the earliest deadline (never early), then send it and everything due in the
    // next denseAheadMs in one pass: at most one wake-up per denseAheadMs, whatever the stream count.
    const dense = this.dense;
    const at = top.due;
    if (this.timer && this.armedFor <= at) return;
    this.timer?.cancel();
    this.armedFor = at;
    this.timer = this.wake.wakeAt(at, this.run, !dense);
  }

  /** One pass: every packet due by now (+aheadMs, +denseAheadMs when batching) is produced, in deadline order. */
  private readonly run = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.running = true;
    const clock = this.clock;
    const passStart = clock.now();
    const ahead = this.dense ? Math.max(this.aheadMs, this.denseAheadMs) : this.aheadMs;
    try {
      for (;;) {
        const e = this.heap.peek();
        if (!e) break;
        const now = clock.now();
        if (e.due > now + ahead) break;
        if (now - passStart > this.maxPassMs) break; // yield; wakeAt(past deadline) comes back at once
        const n = e.nextTick;
        const due = e.nextDue;
        if (now - e.due > this.maxLateMs) {
          const behind = Math.floor((now - e.due) / e.ptimeMs);
          this.reschedule(e, n + behind);
          e.missedTicks += behind;
          this.call(e, () => e.stream.missed?.(n, behind));
          continue;
        }
        this.reschedule(e, n + 1);
        this.call(e, () => e.stream.tick(n, due));
      }
    } finally {
      this.running = false;
      this.arm();
    }
  };

  private reschedule(e: Entry, tick: number): void {
    e.nextTick = tick;
    e.nextDue = e.start + tick * e.ptimeMs;
    e.due = e.nextDue - e.leadMs;
    this.heap.update(e);
  }

  private call(e: Entry, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      e.stop();
      this.onError(error, e);
    }
  }
}
