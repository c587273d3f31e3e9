/**
 * Thresholds of a load run (`--expect "asr>=99%"`, `--expect "pdd_p95<2s"`): parsed before the run so
 * a typo fails at once (exit 2), judged on the final LoadStats (a breach sets exit code 1). A metric
 * that was not measured (no MOS, no answered call) is a breach: a threshold nobody could check must
 * not pass silently.
 *
 *   metric:  asr | failed | failed_calls | answered | started | passed
 *            pdd_<stat> | setup_<stat>        (times: 250ms, 2s)
 *            loss_<stat> (%), jitter_<stat> (ms), mos_<stat>
 *   stat:    min | mean | p5 | p50 | p95 | p99 | max
 *   op:      < <= > >= ==
 */
import type { Distribution, LoadStats } from './stats.js';

export class ExpectError extends Error {}

export type Op = '<' | '<=' | '>' | '>=' | '==';

export interface Threshold {
  text: string;
  metric: string;
  op: Op;
  /** In the metric's unit: percent, ms, MOS, or a count. */
  value: number;
}

export interface ThresholdCheck {
  threshold: Threshold;
  actual: number | undefined;
  ok: boolean;
}

type Kind = 'percent' | 'time' | 'count' | 'mos' | 'jitter';

const STATS = ['min', 'mean', 'p5', 'p50', 'p95', 'p99', 'max'] as const;
const SCALARS: Record<string, Kind> = { asr: 'percent', failed: 'percent', failed_calls: 'count', answered: 'count', started: 'count', passed: 'count' };
const DISTS: Record<string, { kind: Kind; of: (s: LoadStats) => Distribution }> = {
  pdd: { kind: 'time', of: (s) => s.postDialDelayMs },
  setup: { kind: 'time', of: (s) => s.setupMs },
  loss: { kind: 'percent', of: (s) => s.rtpLossPercent },
  jitter: { kind: 'jitter', of: (s) => s.rtpJitterMs },
  mos: { kind: 'mos', of: (s) => s.mos },
};

function kindOf(metric: string): Kind | undefined {
  if (SCALARS[metric]) return SCALARS[metric];
  const m = /^([a-z]+)_([a-z0-9]+)$/.exec(metric);
  if (!m || !DISTS[m[1]!] || !(STATS as readonly string[]).includes(m[2]!)) return undefined;
  return DISTS[m[1]!]!.kind;
}

export function metricNames(): string[] {
  return [...Object.keys(SCALARS), ...Object.keys(DISTS).map((d) => `${d}_{${STATS.join(',')}}`)];
}

export function parseThreshold(text: string): Threshold {
  const m = /^\s*([a-z][a-z0-9_]*)\s*(<=|>=|==|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(%|ms|s)?\s*$/i.exec(text);
  if (!m) throw new ExpectError(`--expect "${text}": write metric op value, e.g. "asr>=99%", "pdd_p95<2s", "mos_p5>=3.8"`);
  const metric = m[1]!.toLowerCase();
  const kind = kindOf(metric);
  if (!kind) throw new ExpectError(`--expect "${text}": unknown metric "${metric}" (${metricNames().join(', ')})`);
  const unit = m[4]?.toLowerCase();
  let value = Number(m[3]);
  if (kind === 'time' || kind === 'jitter') {
    if (unit === 's') value *= 1000;
    else if (unit !== 'ms' && !(kind === 'jitter' && unit === undefined)) throw new ExpectError(`--expect "${text}": give ${metric} a unit (250ms, 2s)`);
  } else if (kind === 'percent') {
    if (unit !== undefined && unit !== '%') throw new ExpectError(`--expect "${text}": ${metric} is a percentage (99%)`);
  } else if (unit !== undefined) {
    throw new ExpectError(`--expect "${text}": ${metric} takes a plain number`);
  }
  return { text: text.trim(), metric, op: m[2] as Op, value };
}

export function metricValue(s: LoadStats, metric: string): number | undefined {
  switch (metric) {
    case 'asr': return s.asr;
    case 'failed': return s.failedPercent;
    case 'failed_calls': return s.failed;
    case 'answered': return s.answered;
    case 'started': return s.started;
    case 'passed': return s.passed;
  }
  const [d, stat] = metric.split('_') as [string, keyof Distribution];
  return DISTS[d]!.of(s)[stat];
}

export function checkThresholds(s: LoadStats, ts: Threshold[]): ThresholdCheck[] {
  return ts.map((t) => {
    const actual = metricValue(s, t.metric);
    const ok = actual !== undefined && compare(actual, t.op, t.value);
    return { threshold: t, actual, ok };
  });
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
  }
}
