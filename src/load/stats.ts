/**
 * The aggregates of a load run, computed from the callers' metrics alone (pure: the progress line, the
 * final report, the thresholds and the JSON all read this): counts by outcome and reason, the
 * answer-seizure ratio, percentiles and histograms of post-dial delay and setup time, final SIP codes,
 * failed steps, and the RTP loss/jitter/MOS distributions.
 */
import type { CallerMetrics } from './caller.js';

export interface Distribution {
  count: number;
  min?: number;
  mean?: number;
  p5?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

export interface HistogramBin {
  /** Upper bound of the bin (inclusive), in the distribution's unit; Infinity for the last. */
  le: number;
  count: number;
}

export interface LoadStats {
  /** Callers started (each places at most one call). */
  started: number;
  /** Callers still running (progress only). */
  active: number;
  completed: number;
  passed: number;
  /** A step failed after the answer, or the call could not be set up. */
  failed: number;
  setupFailed: number;
  interrupted: number;
  answered: number;
  /** Answered / call attempts that ended (interrupted ones left out), in percent; undefined before any. */
  asr?: number;
  /** failed / completed (interrupted ones left out), in percent. */
  failedPercent?: number;
  failedByReason: Record<string, number>;
  failedSteps: Array<{ step: string; reason: string; count: number }>;
  finalCodes: Record<string, number>;
  postDialDelayMs: Distribution;
  setupMs: Distribution;
  pddHistogram: HistogramBin[];
  setupHistogram: HistogramBin[];
  rtpLossPercent: Distribution;
  rtpJitterMs: Distribution;
  /** Packets the callers' jitter buffers discarded as too late to play, % of expected (docs/quality.md). */
  rtpLatePercent: Distribution;
  mos: Distribution;
  /** Calls started per second over the run so far. */
  callsPerSecond?: number;
  elapsedMs: number;
}

/** Nearest-rank percentile (what SIPp and most load tools print); xs sorted ascending. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function distribution(values: number[]): Distribution {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { count: 0 };
  const r = (x: number | undefined): number => Math.round(x! * 100) / 100;
  return {
    count: xs.length, min: r(xs[0]), mean: r(xs.reduce((a, b) => a + b, 0) / xs.length),
    p5: r(percentile(xs, 5)), p50: r(percentile(xs, 50)), p95: r(percentile(xs, 95)), p99: r(percentile(xs, 99)), max: r(xs[xs.length - 1]),
  };
}

/** Delay bins in ms, as SIPp's response-time repartition uses (10 ms … 10 s, then more). */
export const DELAY_BINS_MS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

export function histogram(values: number[], bounds: number[] = DELAY_BINS_MS): HistogramBin[] {
  const bins: HistogramBin[] = [...bounds, Infinity].map((le) => ({ le, count: 0 }));
  for (const v of values) bins.find((b) => v <= b.le)!.count++;
  return bins;
}

export function loadStats(done: readonly CallerMetrics[], o: { started?: number; active?: number; elapsedMs?: number } = {}): LoadStats {
  const failedByReason: Record<string, number> = {};
  const steps = new Map<string, { step: string; reason: string; count: number }>();
  const finalCodes: Record<string, number> = {};
  let passed = 0;
  let failed = 0;
  let setupFailed = 0;
  let interrupted = 0;
  let answered = 0;
  let attempts = 0;
  for (const m of done) {
    if (m.answered) answered++;
    if (m.outcome === 'interrupted') interrupted++;
    else attempts++;
    if (m.finalStatus !== undefined) finalCodes[String(m.finalStatus)] = (finalCodes[String(m.finalStatus)] ?? 0) + 1;
    else if (m.outcome !== 'interrupted' || m.answered) finalCodes.none = (finalCodes.none ?? 0) + 1;
    if (m.outcome === 'passed') passed++;
    if (m.outcome === 'failed' || m.outcome === 'setup-failed') {
      failed++;
      if (m.outcome === 'setup-failed') setupFailed++;
      const reason = m.reason ?? 'unknown';
      failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
      const step = m.failedStep ?? 'call';
      const why = shortError(m.error ?? reason);
      const key = `${step}\u0000${why}`;
      const s = steps.get(key) ?? { step, reason: why, count: 0 };
      s.count++;
      steps.set(key, s);
    }
  }
  const pdd = done.flatMap((m) => (m.postDialDelayMs !== undefined ? [m.postDialDelayMs] : []));
  const setup = done.flatMap((m) => (m.setupMs !== undefined ? [m.setupMs] : []));
  const answeredOrTried = done.filter((m) => m.outcome !== 'interrupted' || m.answered);
  const answeredAttempts = answeredOrTried.length;
  const completed = attempts;
  const elapsedMs = o.elapsedMs ?? 0;
  const started = o.started ?? done.length;
  const s: LoadStats = {
    started, active: o.active ?? 0, completed: done.length, passed, failed, setupFailed, interrupted, answered,
    failedByReason,
    failedSteps: [...steps.values()].sort((a, b) => b.count - a.count),
    finalCodes,
    postDialDelayMs: distribution(pdd),
    setupMs: distribution(setup),
    pddHistogram: histogram(pdd),
    setupHistogram: histogram(setup),
    rtpLossPercent: distribution(done.flatMap((m) => (m.rtp ? [m.rtp.lossPercent] : []))),
    rtpJitterMs: distribution(done.flatMap((m) => (m.rtp ? [m.rtp.jitterMs] : []))),
    rtpLatePercent: distribution(done.flatMap((m) => (m.rtp?.latePercent !== undefined ? [m.rtp.latePercent] : []))),
    mos: distribution(done.flatMap((m) => (m.mos !== undefined ? [m.mos] : []))),
    elapsedMs,
  };
  if (answeredAttempts > 0) s.asr = Math.round((answered / answeredAttempts) * 10000) / 100;
  if (completed > 0) s.failedPercent = Math.round((failed / completed) * 10000) / 100;
  if (elapsedMs > 0) s.callsPerSecond = Math.round((started / (elapsedMs / 1000)) * 100) / 100;
  return s;
}

/** Group failures whose messages differ only by numbers (times, ports) under one line. */
function shortError(e: string): string {
  const line = e.split('\n')[0]!;
  return (line.length > 120 ? `${line.slice(0, 117)}...` : line).replace(/\d+(\.\d+)?/g, (d) => (d.length >= 4 || d.includes('.') ? 'N' : d));
}
