/**
 * Quality thresholds a script asserts, as written in YAML:
 *   expect: { mos: ">= 4.0", post_dial_delay: "< 2s", loss: "< 1%", one_way_audio: false }
 * Each becomes a typed predicate over the figure the call measured, and its outcome names the figure
 * ("mos 3.87 is not >= 4.0"), so a failed run says what was measured, not only that something failed.
 *
 * Units are part of the threshold and must match the metric: durations in the words of util/duration.ts
 * ("2s", "500ms"; a bare number is refused there), loss in percent with its "%", scores bare. A metric
 * that was not measured (no RTP, no RTCP) fails its threshold and says so.
 */
import { DurationError, parseDuration } from '../util/duration.js';
import type { CallQuality } from '../phone/call-quality.js';

type MetricKind = 'score' | 'percent' | 'duration' | 'boolean';

/** The metrics a script can assert and what kind of figure each is. */
export const QUALITY_METRICS = {
  mos: 'score',
  r_factor: 'score',
  burst_ratio: 'score',
  loss: 'percent',
  jitter: 'duration',
  rtt: 'duration',
  post_dial_delay: 'duration',
  answer_delay: 'duration',
  one_way_audio: 'boolean',
} as const satisfies Record<string, MetricKind>;

export type QualityMetric = keyof typeof QUALITY_METRICS;
export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type QualityThreshold =
  | { metric: QualityMetric; kind: 'compare'; op: Comparator; value: number; unit: 'score' | 'percent' | 'duration'; source: string }
  | { metric: QualityMetric; kind: 'boolean'; value: boolean; source: string };

export interface ThresholdOutcome {
  metric: QualityMetric;
  ok: boolean;
  actual: number | boolean | undefined;
  message: string;
}

function isMetric(name: string): name is QualityMetric {
  return Object.prototype.hasOwnProperty.call(QUALITY_METRICS, name);
}

/** Parses one threshold; returns the reason when it is not one. */
export function parseQualityThreshold(metric: string, spec: unknown): QualityThreshold | { error: string } {
  if (!isMetric(metric)) return { error: `unknown quality metric "${metric}" (known: ${Object.keys(QUALITY_METRICS).join(', ')})` };
  const kind = QUALITY_METRICS[metric];
  const source = String(spec);
  if (kind === 'boolean') {
    if (spec === true || spec === 'true') return { metric, kind: 'boolean', value: true, source };
    if (spec === false || spec === 'false') return { metric, kind: 'boolean', value: false, source };
    return { error: `${metric}: "${source}" is not true or false` };
  }
  if (typeof spec !== 'string') return { error: `${metric}: write a comparison in quotes, e.g. ${metric}: "${example(kind)}"` };
  const m = /^\s*(<=|>=|==|!=|<|>|=)\s*(\S.*?)\s*$/.exec(spec);
  if (!m) return { error: `${metric}: "${spec}" needs a comparison (<, <=, >, >=, ==, !=), e.g. "${example(kind)}"` };
  const op = (m[1] === '=' ? '==' : m[1]) as Comparator;
  const text = m[2]!;
  let value: number;
  if (kind === 'duration') {
    try {
      value = parseDuration(text);
    } catch (e) {
      if (e instanceof DurationError) return { error: `${metric}: ${e.message}` };
      throw e;
    }
  } else if (kind === 'percent') {
    const p = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
    if (!p) return { error: `${metric}: "${text}" is not a percentage (write ${/^\d+(\.\d+)?$/.test(text) ? `${text}%` : '1%'})` };
    value = Number(p[1]);
  } else {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return { error: `${metric}: "${text}" is not a number` };
    value = Number(text);
  }
  return { metric, kind: 'compare', op, value, unit: kind, source: spec.trim() };
}

/** Short names the command line takes besides the metric names: `--expect "pdd<2s"`. */
export const METRIC_ALIASES: Readonly<Record<string, QualityMetric>> = { pdd: 'post_dial_delay', r: 'r_factor', owa: 'one_way_audio' };

/**
 * One threshold written as an expression, as `umphone call --expect` takes it: "mos>=4.0", "pdd < 2s",
 * "loss<1%", "one_way_audio=false" (a metric name or alias, a comparison, the value with its unit).
 */
export function parseQualityExpression(text: string): QualityThreshold | { error: string } {
  const m = /^\s*([A-Za-z_-]+)\s*(<=|>=|==|!=|<|>|=)\s*(\S.*?)\s*$/.exec(text);
  if (!m) return { error: `"${text}" is not a threshold: write metric, comparison, value, e.g. "mos>=4.0", "pdd<2s", "loss<1%"` };
  const name = m[1]!.toLowerCase().replace(/-/g, '_');
  const metric = METRIC_ALIASES[name] ?? name;
  if (isMetric(metric) && QUALITY_METRICS[metric] === 'boolean') {
    if (m[2] !== '=' && m[2] !== '==') return { error: `${metric}: write ${metric}=true or ${metric}=false` };
    return parseQualityThreshold(metric, m[3]);
  }
  return parseQualityThreshold(metric, `${m[2]} ${m[3]}`);
}

/** Parses a whole `expect:` map; the first bad entry is the error. */
export function parseQualityExpectations(expect: Record<string, unknown>): QualityThreshold[] | { error: string } {
  const out: QualityThreshold[] = [];
  for (const [metric, spec] of Object.entries(expect)) {
    const t = parseQualityThreshold(metric, spec);
    if ('error' in t) return t;
    out.push(t);
  }
  return out;
}

function compare(a: number, op: Comparator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** A figure as a person reads it: "3.87", "1.6%", "850ms", "2.4s"; `extra` digits for close calls. */
export function formatFigure(value: number, unit: 'score' | 'percent' | 'duration', extra = 0): string {
  const trim = (x: number, digits: number) => String(Number(x.toFixed(digits + extra)));
  if (unit === 'percent') return `${trim(value, 2)}%`;
  if (unit === 'duration') return value < 1000 ? `${trim(value, 1)}ms` : `${trim(value / 1000, 3)}s`;
  return trim(value, 2);
}

/** Applies a threshold to what the call measured (undefined: not measured). */
export function checkQualityThreshold(t: QualityThreshold, actual: number | boolean | undefined): ThresholdOutcome {
  const { metric } = t;
  if (actual === undefined) return { metric, ok: false, actual, message: `${metric} was not measured (expected ${t.source})` };
  if (t.kind === 'boolean') {
    const ok = actual === t.value;
    return { metric, ok, actual, message: ok ? `${metric} is ${actual}` : `${metric} is ${actual}, expected ${t.value}` };
  }
  if (typeof actual !== 'number') return { metric, ok: false, actual, message: `${metric} is ${actual}, not a figure (expected ${t.source})` };
  const ok = compare(actual, t.op, t.value);
  // Enough digits that the figure shown tells the verdict: never "r_factor 80 is not > 80" for 79.996.
  let extra = 0;
  while (extra < 6 && misleading(actual, t, ok, extra)) extra++;
  const shown = `${metric} ${formatFigure(actual, t.unit, extra)}`;
  return { metric, ok, actual, message: ok ? `${shown} ${t.source}` : `${shown} is not ${t.source}` };
}

/** True when the rounded figure reads as the threshold itself, or reads as the opposite verdict. */
function misleading(actual: number, t: Extract<QualityThreshold, { kind: 'compare' }>, ok: boolean, extra: number): boolean {
  const inSeconds = t.unit === 'duration' && actual >= 1000;
  const scale = inSeconds ? 1000 : 1;
  const digits = (t.unit === 'duration' ? (inSeconds ? 3 : 1) : 2) + extra;
  const shown = Number((actual / scale).toFixed(digits)) * scale;
  return (shown === t.value && actual !== t.value) || compare(shown, t.op, t.value) !== ok;
}

function example(kind: MetricKind): string {
  return kind === 'duration' ? '< 2s' : kind === 'percent' ? '< 1%' : '>= 4.0';
}

/**
 * The figure a metric reads from a call's quality (CallSummary.quality), undefined when it was not
 * measured: no media (no packet expected), no RTCP round trip, no INVITE of ours (an incoming call).
 * post_dial_delay is RFC 6076's Session Request Delay: to the first 18x, or to the final response when
 * none came before it.
 */
export function qualityFigure(metric: QualityMetric, q: CallQuality | undefined): number | boolean | undefined {
  if (!q) return undefined;
  const r = q.received;
  const media = r.expected > 0;
  const pdd = q.postDialDelay;
  switch (metric) {
    case 'mos': return q.mos;
    case 'r_factor': return q.r;
    case 'burst_ratio': return media ? r.lossRuns.burstR : undefined;
    case 'loss': return media ? r.lossPercent : undefined;
    case 'jitter': return media ? r.maxJitterMs : undefined;
    case 'rtt': return r.rttMs;
    case 'post_dial_delay': return pdd.toRingingMs ?? pdd.toFinalMs;
    case 'answer_delay': return pdd.toAnswerMs;
    case 'one_way_audio': return q.perSecond.length > 0 || media ? q.oneWayAudio.oneWay : undefined;
  }
}

/** Every threshold applied to a call's quality, in order. */
export function checkCallQuality(thresholds: readonly QualityThreshold[], q: CallQuality | undefined): ThresholdOutcome[] {
  return thresholds.map((t) => checkQualityThreshold(t, qualityFigure(t.metric, q)));
}
