/**
 * The load part of the HTML report (`umphone load --report x.html`): the run's figures, its thresholds,
 * the post-dial delay and MOS distributions as bars, calls in progress / started / failed per second,
 * final SIP codes, failures by reason and by step, and one row per caller; the callers whose evidence
 * the page carries (the failed ones first) link to their sections below. Pure: a ReportLoad in, HTML out.
 * Every figure carries `data-figure` and its raw `data-value`, like the call sections.
 */
import { lineChart } from './charts.js';
import { attr, esc, secs } from './html.js';
import type { CallerMetrics } from '../load/caller.js';
import type { ThresholdCheck } from '../load/expect.js';
import type { Distribution, HistogramBin, LoadStats } from '../load/stats.js';

export interface ReportLoad {
  stats: LoadStats;
  callers: CallerMetrics[];
  checks: ThresholdCheck[];
  /** The options the run was started with (rate, concurrency ...). */
  settings: Record<string, unknown>;
  /** Caller number → the id of its section on the page, for the callers whose evidence is shown. */
  sections: Record<number, string>;
  /** Failed callers whose evidence was left out (the page shows the first ones only). */
  failedNotShown: number;
  /** What the engine's send counters said ("RTP sent N packets: ..."), when it ran. */
  engineLine?: string;
}

const ms = (x: number | undefined): string => (x === undefined ? '—' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const num = (x: number | undefined, digits: number, unit = ''): string => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(digits)}${unit}`);

function figure(name: string, label: string, value: number | string | undefined, shown: string): string {
  return `<div class="fig"${attr('data-figure', name)}${attr('data-value', value === undefined ? '' : String(value))}><span class="k">${esc(label)}</span><span class="v">${esc(shown)}</span></div>`;
}

function distFigures(name: string, label: string, d: Distribution, show: (x: number | undefined) => string, which: Array<'p5' | 'p50' | 'p95' | 'p99'>): string {
  return which.map((p) => figure(`${name}-${p}`, `${label} ${p}`, d[p], d.count === 0 ? 'not measured' : show(d[p]))).join('');
}

/** Bars of a histogram as HTML (inline widths; the page's CSP allows inline style). */
function bars(name: string, rows: Array<{ label: string; count: number }>): string {
  const most = Math.max(1, ...rows.map((r) => r.count));
  return `<table class="bars"${attr('data-histogram', name)}><tbody>${rows.map((r) => `<tr${attr('data-bin', r.label)}${attr('data-count', r.count)}><th>${esc(r.label)}</th>`
    + `<td><div class="bar" style="width:${((100 * r.count) / most).toFixed(1)}%"></div></td><td class="n">${r.count}</td></tr>`).join('')}</tbody></table>`;
}

function delayBins(h: HistogramBin[]): Array<{ label: string; count: number }> {
  const first = h.findIndex((b) => b.count > 0);
  if (first < 0) return [];
  const last = h.length - 1 - [...h].reverse().findIndex((b) => b.count > 0);
  return h.slice(first, last + 1).map((b) => ({ label: b.le === Infinity ? '> 10 s' : `≤ ${ms(b.le)}`, count: b.count }));
}

/** MOS in half-point bins from 1 to 4.5 (the E-model's range for G.711). */
function mosBins(callers: CallerMetrics[]): Array<{ label: string; count: number }> {
  const edges = [1.5, 2, 2.5, 3, 3.5, 4, 4.5];
  const counts = edges.map(() => 0);
  for (const c of callers) {
    if (c.mos === undefined) continue;
    const i = edges.findIndex((e) => c.mos! < e);
    counts[i < 0 ? edges.length - 1 : i]!++;
  }
  return edges.map((e, i) => ({ label: `${(e - 0.5).toFixed(1)}–${e.toFixed(1)}`, count: counts[i]! }));
}

/** Calls in progress, started and failed in each second of the run, from each caller's start and length. */
export function perSecondSeries(callers: CallerMetrics[]): { active: Array<[number, number]>; started: Array<[number, number]>; failed: Array<[number, number]> } {
  const timed = callers.filter((c) => c.startMs !== undefined);
  const end = Math.max(0, ...timed.map((c) => c.startMs! + c.durationMs));
  const seconds = Math.ceil(end / 1000);
  const active: Array<[number, number]> = [];
  const started: Array<[number, number]> = [];
  const failed: Array<[number, number]> = [];
  for (let s = 0; s <= seconds; s++) {
    const t = s * 1000;
    active.push([s, timed.filter((c) => c.startMs! <= t && t < c.startMs! + c.durationMs).length]);
    started.push([s, timed.filter((c) => c.startMs! >= t - 1000 && c.startMs! < t).length]);
    failed.push([s, timed.filter((c) => c.outcome !== 'passed' && c.outcome !== 'interrupted' && c.startMs! + c.durationMs >= t - 1000 && c.startMs! + c.durationMs < t).length]);
  }
  return { active, started, failed };
}

function countTable(name: string, head: [string, string], rows: Array<[string, number]>): string {
  if (rows.length === 0) return '';
  return `<table class="counts"${attr('data-table', name)}><thead><tr><th>${esc(head[0])}</th><th>${esc(head[1])}</th></tr></thead><tbody>`
    + rows.map(([k, n]) => `<tr${attr('data-key', k)}><td>${esc(k)}</td><td class="n">${n}</td></tr>`).join('') + '</tbody></table>';
}

function callersTable(l: ReportLoad): string {
  const rows = l.callers.map((c) => {
    const id = l.sections[c.caller];
    const n = id !== undefined ? `<a${attr('href', `#${id}`)}>${c.caller}</a>` : String(c.caller);
    return `<tr class="caller ${c.outcome}"${attr('data-caller', c.caller)}${attr('data-outcome', c.outcome)}><td>${n}</td><td>${esc(c.outcome)}</td><td>${esc(c.reason ?? '')}</td>`
      + `<td>${c.finalStatus ?? ''}</td><td>${c.postDialDelayMs ?? ''}</td><td>${c.setupMs ?? ''}</td><td>${(c.durationMs / 1000).toFixed(1)}</td>`
      + `<td>${c.mos !== undefined ? c.mos.toFixed(2) : ''}</td><td>${c.rtp ? c.rtp.lossPercent.toFixed(2) : ''}</td><td>${c.rtp?.latePercent !== undefined ? c.rtp.latePercent.toFixed(2) : ''}</td>`
      + `<td>${esc(c.failedStep !== undefined && c.outcome !== 'passed' ? `${c.failedStep}${c.error ? `: ${c.error}` : ''}` : '')}</td></tr>`;
  }).join('');
  return `<details class="callers" open><summary>Callers (${l.callers.length})</summary><table class="callers-table"><thead><tr><th>#</th><th>outcome</th><th>reason</th><th>SIP</th><th>PDD (ms)</th><th>setup (ms)</th><th>length (s)</th><th>MOS</th><th>loss %</th><th>late %</th><th>failed step</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

export function renderLoadSection(l: ReportLoad): string {
  const s = l.stats;
  const figs = [
    figure('callers', 'Callers', s.started, String(s.started)),
    figure('passed', 'Passed', s.passed, String(s.passed)),
    figure('failed', 'Failed', s.failed, `${s.failed}${s.setupFailed > 0 ? ` (${s.setupFailed} not set up)` : ''}`),
    figure('asr', 'Answer-seizure ratio', s.asr, num(s.asr, 2, ' %')),
    figure('failed-percent', 'Failed', s.failedPercent, num(s.failedPercent, 2, ' %')),
    figure('elapsed', 'Run time', s.elapsedMs, secs(s.elapsedMs, 1)),
    distFigures('pdd', 'Post-dial delay', s.postDialDelayMs, ms, ['p50', 'p95', 'p99']),
    distFigures('setup', 'Call setup', s.setupMs, ms, ['p50', 'p95']),
    distFigures('mos', 'MOS', s.mos, (x) => num(x, 2), ['p5', 'p50']),
    distFigures('loss', 'RTP loss', s.rtpLossPercent, (x) => num(x, 2, ' %'), ['p50', 'p95']),
    distFigures('jitter', 'Jitter', s.rtpJitterMs, (x) => num(x, 1, ' ms'), ['p50', 'p95']),
    s.rtpLatePercent.count > 0 ? distFigures('late', 'Late (discarded)', s.rtpLatePercent, (x) => num(x, 2, ' %'), ['p50', 'p95']) : '',
  ].join('');
  const checks = l.checks.length === 0 ? '' : `<h3>Thresholds</h3><table class="checks"><tbody>${l.checks.map((c) => `<tr class="${c.ok ? 'pass' : 'fail'}"${attr('data-threshold', c.threshold.text)}${attr('data-ok', String(c.ok))}>`
    + `<td class="st">${c.ok ? '✓' : '✗'}</td><td><code>${esc(c.threshold.text)}</code></td><td>${c.actual === undefined ? 'not measured' : esc(String(Math.round(c.actual * 100) / 100))}</td></tr>`).join('')}</tbody></table>`;
  const series = perSecondSeries(l.callers);
  const chart = series.active.length > 1 ? lineChart({
    width: 700, title: 'Calls per second: in progress, started, failed', unit: 'calls', name: 'load-calls', yMin: 0,
    series: [{ cls: 'active', points: series.active }, { cls: 'started', points: series.started }, { cls: 'failed', points: series.failed }],
  }) : '';
  const pdd = delayBins(s.pddHistogram);
  const setup = delayBins(s.setupHistogram);
  const mos = s.mos.count > 0 ? mosBins(l.callers) : [];
  const dists = [
    pdd.length > 0 ? `<div><h4>Post-dial delay</h4>${bars('pdd', pdd)}</div>` : '',
    setup.length > 0 ? `<div><h4>Call setup</h4>${bars('setup', setup)}</div>` : '',
    mos.length > 0 ? `<div><h4>MOS</h4>${bars('mos', mos)}</div>` : '',
  ].join('');
  const codes = countTable('codes', ['final SIP code', 'calls'], Object.entries(s.finalCodes).sort((a, b) => b[1] - a[1]));
  const reasons = countTable('reasons', ['failed because', 'callers'], Object.entries(s.failedByReason).sort((a, b) => b[1] - a[1]));
  const steps = countTable('steps', ['failed step', 'callers'], s.failedSteps.map((f) => [`${f.step}: ${f.reason}`, f.count] as [string, number]));
  const settings = Object.entries(l.settings).filter(([, v]) => v !== null && v !== undefined && !(typeof v === 'object' && Object.keys(v as object).length === 0))
    .map(([k, v]) => `<code>${esc(k)} ${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}</code>`).join(' ');
  const shown = Object.keys(l.sections).length;
  const evidenceNote = `<p class="note" data-section="evidence-note">${shown === 0 ? 'No caller\'s evidence is on this page.' : `The evidence of ${shown} caller(s) follows, in caller order (ladder, timeline, recording, quality): the first failed ones and the first that passed.`}`
    + `${l.failedNotShown > 0 ? ` ${l.failedNotShown} more failed caller(s) are in the table only.` : ''}</p>`;
  return `<section class="load" id="load" data-section="load"><h2>Load</h2>${settings ? `<p class="settings">${settings}</p>` : ''}`
    + `<div class="card" data-section="load-figures"><div class="figs">${figs}</div>${l.engineLine ? `<p class="note" data-section="engine">${esc(l.engineLine)}</p>` : ''}${checks}</div>`
    + (chart ? `<div class="card" data-section="load-chart">${chart}<div class="legend"><span class="k active">in progress</span><span class="k started">started</span><span class="k failed">failed</span></div></div>` : '')
    + (dists ? `<div class="card dists" data-section="load-distributions">${dists}</div>` : '')
    + (codes || reasons || steps ? `<div class="card tables" data-section="load-counts">${codes}${reasons}${steps}</div>` : '')
    + `<div class="card" data-section="load-callers">${callersTable(l)}${evidenceNote}</div></section>`;
}
