/**
 * The text of a load run: the live progress line (stderr, ~1/s) and the final report (stdout). Pure
 * functions of LoadStats, so they are tested on figures, not on a run.
 */
import type { Distribution, HistogramBin, LoadStats } from './stats.js';
import type { ThresholdCheck } from './expect.js';

const ms = (x: number | undefined): string => (x === undefined ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(1)}s` : `${Math.round(x)}ms`);
const num = (x: number | undefined, digits = 1): string => (x === undefined ? '-' : x.toFixed(digits));

function byReason(r: Record<string, number>): string {
  const parts = Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** One line: "  12s active 95 started 412 answered 380 failed 3 (503: 2) 8.1 calls/s pdd p50 12ms p95 40ms mos p50 4.4". */
export function progressLine(s: LoadStats): string {
  const parts = [
    `${(s.elapsedMs / 1000).toFixed(0).padStart(4)}s`,
    `active ${s.active}`,
    `started ${s.started}`,
    `answered ${s.answered}`,
    `failed ${s.failed}${byReason(s.failedByReason)}`,
  ];
  if (s.interrupted > 0) parts.push(`interrupted ${s.interrupted}`);
  parts.push(`${num(s.callsPerSecond)} calls/s`);
  if (s.postDialDelayMs.count > 0) parts.push(`pdd p50 ${ms(s.postDialDelayMs.p50)} p95 ${ms(s.postDialDelayMs.p95)}`);
  if (s.mos.count > 0) parts.push(`mos p50 ${num(s.mos.p50, 2)}`);
  return parts.join('  ');
}

function distLine(name: string, d: Distribution, unit: (x: number | undefined) => string): string {
  if (d.count === 0) return `  ${name.padEnd(17)} not measured`;
  return `  ${name.padEnd(17)} p50 ${unit(d.p50)}  p95 ${unit(d.p95)}  p99 ${unit(d.p99)}  min ${unit(d.min)}  max ${unit(d.max)}  (${d.count} calls)`;
}

function histLine(h: HistogramBin[]): string {
  const first = h.findIndex((b) => b.count > 0);
  if (first < 0) return '';
  const last = h.length - 1 - [...h].reverse().findIndex((b) => b.count > 0);
  return `  ${''.padEnd(17)} ${h.slice(first, last + 1).map((b) => `${b.le === Infinity ? '>10s' : `≤${ms(b.le)}`} ${b.count}`).join(' | ')}`;
}

export interface ReportHead {
  name: string;
  durationMs: number;
  interrupted: boolean;
}

/** The report printed at the end of a run. */
export function reportText(head: ReportHead, s: LoadStats, checks: ThresholdCheck[] = []): string {
  const out: string[] = [];
  const rate = s.callsPerSecond !== undefined ? ` (${num(s.callsPerSecond)} calls/s)` : '';
  out.push(`umphone load: ${head.name}: ${s.started} callers in ${(head.durationMs / 1000).toFixed(1)} s${rate}${head.interrupted ? ', interrupted' : ''}`);
  out.push(`  passed ${s.passed}  failed ${s.failed}${s.setupFailed > 0 ? ` (${s.setupFailed} not set up)` : ''}${s.interrupted > 0 ? `  interrupted ${s.interrupted}` : ''}${byReason(s.failedByReason)}`);
  out.push(`  ASR               ${s.asr === undefined ? '-' : `${num(s.asr, 2)} %`} (${s.answered} answered)`);
  if (s.failedPercent !== undefined) out.push(`  failed            ${num(s.failedPercent, 2)} %`);
  out.push(distLine('post-dial delay', s.postDialDelayMs, ms));
  const ph = histLine(s.pddHistogram);
  if (ph) out.push(ph);
  out.push(distLine('call setup', s.setupMs, ms));
  const sh = histLine(s.setupHistogram);
  if (sh) out.push(sh);
  const codes = Object.entries(s.finalCodes).sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([c, n]) => `${c} ×${n}`);
  out.push(`  final SIP codes   ${codes.length > 0 ? codes.join(', ') : '-'}`);
  out.push(distLine('RTP loss', s.rtpLossPercent, (x) => (x === undefined ? '-' : `${num(x, 2)}%`)));
  out.push(distLine('RTP jitter', s.rtpJitterMs, (x) => (x === undefined ? '-' : `${num(x, 1)}ms`)));
  if (s.rtpLatePercent.count > 0) out.push(distLine('RTP late', s.rtpLatePercent, (x) => (x === undefined ? '-' : `${num(x, 2)}%`)));
  out.push(s.mos.count === 0 ? '  MOS               not measured' : `  MOS               p5 ${num(s.mos.p5, 2)}  p50 ${num(s.mos.p50, 2)}  min ${num(s.mos.min, 2)}  (${s.mos.count} calls)`);
  if (s.failedSteps.length > 0) {
    out.push('  failed steps:');
    for (const f of s.failedSteps.slice(0, 20)) out.push(`    ${String(f.count).padStart(5)} × ${f.step}: ${f.reason}`);
    if (s.failedSteps.length > 20) out.push(`    ... and ${s.failedSteps.length - 20} more kinds (see --json)`);
  }
  if (checks.length > 0) {
    out.push('  thresholds:');
    for (const c of checks) out.push(`    ${c.ok ? '✓' : '✗'} ${c.threshold.text}  (${c.actual === undefined ? 'not measured' : actualText(c)})`);
  }
  return `${out.join('\n')}\n`;
}

function actualText(c: ThresholdCheck): string {
  const m = c.threshold.metric;
  const a = c.actual!;
  if (m === 'asr' || m === 'failed' || m.startsWith('loss_')) return `${num(a, 2)} %`;
  if (m.startsWith('pdd_') || m.startsWith('setup_')) return ms(a);
  if (m.startsWith('jitter_')) return `${num(a, 1)} ms`;
  if (m.startsWith('mos_')) return num(a, 2);
  return String(a);
}
