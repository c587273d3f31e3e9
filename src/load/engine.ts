/**
 * The scheduler of `umphone load`: starts virtual callers on one shared phone at a paced rate (ramping
 * up if asked), never more than `concurrency` at once, until `calls` have started or `durationMs` has
 * passed; then waits for the callers in progress. `stop()` (Ctrl-C) starts no more and ends every call
 * cleanly (BYE when answered, CANCEL while ringing), waiting at most `stopGraceMs` for them.
 *
 * Time comes from the injected clock only, so a test runs a whole load on the manual clock.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Call, CallOptions } from '../phone/call.js';
import { runCaller, type CallerMetrics, type CallerResult, type CallerScripts } from './caller.js';
import { distribution, loadStats, type LoadStats } from './stats.js';

export interface LoadOptions {
  /** The one phone every caller dials from. */
  phone: { dial(target: string, options: CallOptions): Call };
  clock: Clock;
  scripts: CallerScripts;
  /** Stop starting callers after this many (default: unlimited with durationMs, else 1). */
  calls?: number;
  /** Stop starting callers after this long (ms). */
  durationMs?: number;
  /** Callers started per second (at full rate). Default 10. */
  rate?: number;
  /** At most this many callers at once. Default: unlimited. */
  concurrency?: number;
  /** The rate rises linearly from 0 to `rate` over this long (ms). */
  rampMs?: number;
  /** Variables per caller (CSV rows): caller n gets a row, in order or at random. */
  rows?: Array<Record<string, string>>;
  order?: 'sequential' | 'random';
  /** For the random order; default Math.random. */
  random?: () => number;
  /** Recordings: caller n writes under `<outDir>/caller-<n>/` (created when its script records). */
  outDir?: string;
  /** After stop(), how long to wait for the calls to end (ms, default 5000). */
  stopGraceMs?: number;
  /** Each caller as it ends, with its call when it placed one (the HTML report keeps a few calls' evidence). */
  onCallerDone?: (r: CallerRecord, call: Call | undefined) => void;
  /** Keep each caller's full iteration result (steps, timeline) for the JSON report. Default true. */
  keepResults?: boolean;
}

/** A caller as the run keeps it: its metrics, and its iteration result unless it never got to run. */
export interface CallerRecord {
  metrics: CallerMetrics;
  result?: CallerResult['result'];
}

export interface LoadResult {
  startedAt: string;
  durationMs: number;
  stats: LoadStats;
  callers: CallerMetrics[];
  /** The full per-caller results, in caller order (when keepResults). */
  results: CallerRecord[];
  interrupted: boolean;
}

const TICK_MS = 10;

export class LoadRun {
  private readonly done: CallerRecord[] = [];
  private readonly running = new Map<number, { call?: Call; promise: Promise<void> }>();
  private started = 0;
  /** Live figures for the progress line: answers as they come, and when the last callers started. */
  private liveAnswered = 0;
  private readonly livePdd: number[] = [];
  private readonly recentStarts: number[] = [];
  /** Callers owed by the rate but not started because of the concurrency cap, forgiven so they do not burst later. */
  private forgiven = 0;
  private t0 = 0;
  private startedAt = '';
  private timer: TimerHandle | undefined;
  private stopping = false;
  private interrupted = false;
  private finish!: () => void;
  private readonly finished = new Promise<void>((r) => { this.finish = r; });

  constructor(private readonly o: LoadOptions) {
    const rate = o.rate ?? 10;
    if (!(rate > 0)) throw new RangeError('rate must be above 0');
    if (o.concurrency !== undefined && !(o.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    if (o.rows !== undefined && o.rows.length === 0) throw new RangeError('rows: the CSV has no rows');
  }

  private get limit(): number {
    return this.o.calls ?? (this.o.durationMs !== undefined ? Infinity : 1);
  }

  /** Run to the end (or to stop()); resolves with everything measured. */
  async run(): Promise<LoadResult> {
    this.t0 = this.o.clock.now();
    this.startedAt = new Date(this.o.clock.wallNow()).toISOString();
    this.tick();
    await this.finished;
    // Callers still running when the grace time ran out: reported as interrupted, with what is known.
    for (const [n, r] of this.running) {
      const s = r.call?.summary();
      const m: CallerMetrics = { caller: n, outcome: 'interrupted', reason: 'interrupted', answered: s?.answeredAtMs !== undefined, durationMs: Math.round(s?.durationMs ?? 0) };
      if (s?.status !== undefined) m.finalStatus = s.status;
      this.done.push({ metrics: m });
    }
    this.running.clear();
    const elapsed = this.o.clock.now() - this.t0;
    const results = [...this.done].sort((a, b) => a.metrics.caller - b.metrics.caller);
    const callers = results.map((r) => r.metrics);
    return {
      startedAt: this.startedAt,
      durationMs: elapsed,
      stats: loadStats(callers, { started: this.started, active: 0, elapsedMs: elapsed }),
      callers,
      results: this.o.keepResults === false ? [] : results,
      interrupted: this.interrupted,
    };
  }

  /** The figures so far (for the progress line). */
  snapshot(): LoadStats {
    const now = this.o.clock.now();
    const s = loadStats(this.done.map((r) => r.metrics), { started: this.started, active: this.running.size, elapsedMs: now - this.t0 });
    s.answered = this.liveAnswered;
    s.postDialDelayMs = distribution(this.livePdd);
    // Calls/s: those started in the last second (the rate now, not the average since the start).
    while (this.recentStarts.length > 0 && this.recentStarts[0]! <= now - 1000) this.recentStarts.shift();
    s.callsPerSecond = this.recentStarts.length;
    return s;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Ctrl-C: start no more callers, end every call (BYE or CANCEL), wait at most stopGraceMs. */
  stop(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.stopping = true;
    this.timer?.cancel();
    for (const r of this.running.values()) {
      if (r.call && r.call.state !== 'ended') void r.call.hangup().catch(() => undefined);
    }
    const grace = this.o.clock.setTimeout(() => this.finish(), this.o.stopGraceMs ?? 5000);
    void this.finished.then(() => grace.cancel());
    this.checkDone();
  }

  /** Callers the rate allows by now: the integral of a rate that ramps linearly, then stays. */
  private due(elapsedMs: number): number {
    const rate = this.o.rate ?? 10;
    const ramp = this.o.rampMs ?? 0;
    const t = elapsedMs / 1000;
    const r = ramp / 1000;
    const n = r > 0 && t < r ? (rate * t * t) / (2 * r) : rate * (t - r / 2);
    // The first caller starts at once.
    return Math.floor(n) + 1;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopping) return;
    const elapsed = this.o.clock.now() - this.t0;
    if ((this.o.durationMs !== undefined && elapsed >= this.o.durationMs) || this.started >= this.limit) {
      this.stopping = true;
      this.checkDone();
      return;
    }
    const cap = this.o.concurrency ?? Infinity;
    const due = Math.min(this.limit, this.due(elapsed) - this.forgiven);
    while (this.started < due && this.running.size < cap) this.launch();
    // Held back by the cap: what is still owed beyond one tick's worth is dropped, as SIPp's -l does.
    const owed = due - this.started;
    const tickWorth = Math.ceil(((this.o.rate ?? 10) * TICK_MS) / 1000);
    if (owed > tickWorth) this.forgiven += owed - tickWorth;
    if (this.started >= this.limit) {
      this.stopping = true;
      this.checkDone();
      return;
    }
    this.timer = this.o.clock.setTimeout(() => this.tick(), TICK_MS);
  }

  private rowFor(n: number): Record<string, string> {
    const rows = this.o.rows;
    if (!rows) return {};
    if (this.o.order === 'random') return rows[Math.floor((this.o.random ?? Math.random)() * rows.length) % rows.length]!;
    return rows[(n - 1) % rows.length]!;
  }

  private launch(): void {
    const n = ++this.started;
    const startMs = Math.round(this.o.clock.now() - this.t0);
    this.recentStarts.push(this.o.clock.now());
    const entry: { call?: Call; promise: Promise<void> } = { promise: Promise.resolve() };
    this.running.set(n, entry);
    entry.promise = (async () => {
      let r: CallerRecord;
      try {
        const { script, iteration } = this.o.scripts.forCaller(n, this.rowFor(n));
        let outDir: string | undefined;
        if (this.o.outDir !== undefined) {
          outDir = join(this.o.outDir, `caller-${n}`);
          if (iteration.call?.record || iteration.steps.some((s) => s.kind === 'record')) mkdirSync(outDir, { recursive: true });
        }
        r = await runCaller({
          phone: this.o.phone, clock: this.o.clock, script, iteration, caller: n,
          ...(outDir !== undefined ? { outDir } : {}),
          onCall: (c) => {
            entry.call = c;
            // Placed after Ctrl-C began (between the tick and the stop): end it too.
            if (this.interrupted) void c.hangup().catch(() => undefined);
          },
          interrupted: () => this.interrupted,
          onAnswered: (m) => {
            this.liveAnswered++;
            this.livePdd.push(m.postDialDelayMs);
          },
        });
      } catch (e) {
        // A caller's own script error (a CSV row with a bad value): it fails alone.
        const message = (e as Error).message;
        r = { metrics: { caller: n, outcome: 'failed', reason: 'script', failedStep: 'script', error: message, answered: false, durationMs: 0 } };
      }
      this.running.delete(n);
      r.metrics.startMs = startMs;
      this.done.push(r);
      this.o.onCallerDone?.(r, entry.call);
      this.checkDone();
    })();
  }

  private checkDone(): void {
    if (this.stopping && this.running.size === 0) this.finish();
  }
}
