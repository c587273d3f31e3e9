/**
 * The HTML call report: one self-contained page (inline CSS and script, the recording as a data: URI
 * or a relative link, no request to any network: a Content-Security-Policy says so to the browser) with,
 * per call, the result, the SIP ladder, the timeline, the recording as a waveform with a player, and
 * the quality figures with per-second charts. Pure: a ReportPage in, a string out (page.css.ts holds the
 * style and the script). Every figure shown carries `data-figure` and its raw `data-value`.
 */
import { lineChart, timelineSvg, waveformSvg } from './charts.js';
import { attr, esc, secs } from './html.js';
import { renderLadder } from './ladder.js';
import { renderLoadSection } from './load-section.js';
import type { ReportCall, ReportPage, ReportQuality } from './model.js';
import { PAGE_CSS, PAGE_SCRIPT } from './page-assets.js';

function figure(name: string, label: string, value: number | string | boolean | undefined, shown: string): string {
  const raw = value === undefined ? '' : String(value);
  return `<div class="fig"${attr('data-figure', name)}${attr('data-value', raw)}><span class="k">${esc(label)}</span><span class="v">${esc(shown)}</span></div>`;
}

const num = (v: number | undefined, digits: number, unit = ''): string => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(digits)}${unit}`);

function summarySection(c: ReportCall): string {
  const figs = [
    `<div class="fig wide" data-figure="result"${attr('data-value', c.result)}><span class="k">Result</span><span class="v">${esc(c.result)}</span></div>`,
    figure('status', 'Final status', c.status, c.status !== undefined ? `${c.status} ${c.reason ?? ''}`.trim() : 'none'),
    figure('answer-time', 'Answered after', c.answeredAtMs, c.answeredAtMs !== undefined ? secs(c.answeredAtMs, 2) : '—'),
    figure('duration', 'Duration', c.durationMs, secs(c.durationMs, 2)),
    figure('codec', 'Codec', c.codec, c.codec ?? '—'),
    figure('remote-rtp', 'Remote RTP', c.remoteRtp, c.remoteRtp ?? '—'),
    figure('dtmf-sent', 'DTMF sent', c.dtmf.sent, c.dtmf.sent),
    figure('dtmf-received', 'DTMF received', c.dtmf.received, c.dtmf.received),
  ];
  if (c.rtp) {
    const r = c.rtp.received;
    figs.push(
      figure('rtp-sent', 'RTP sent', c.rtp.sent.packets, `${c.rtp.sent.packets} packets`),
      figure('rtp-received', 'RTP received', r.packets, `${r.packets} packets`),
      figure('rtp-lost', 'RTP lost', r.lost, `${r.lost} (${r.lossPercent.toFixed(2)} %)`),
      figure('rtp-jitter', 'Jitter', r.jitterMs, `${r.jitterMs.toFixed(2)} ms`),
    );
  }
  const chain = c.redirects.length > 0
    ? `<ol class="chain" data-section="redirects">${c.redirects.map((h) => `<li${attr('data-status', h.status ?? '')}><code>${esc(h.uri)}</code>${h.q !== undefined ? ` <span class="q">q=${esc(h.q)}</span>` : ''} → <b class="${h.status !== undefined && h.status >= 300 && h.status < 400 ? 's3' : h.status !== undefined && h.status < 300 ? 's2' : 's4'}">${esc(h.status !== undefined ? `${h.status} ${h.reason ?? ''}` : 'no final response')}</b></li>`).join('')}</ol>`
    : '';
  return `<div class="figs">${figs.join('')}</div>${chain ? `<h3>Redirect chain</h3>${chain}` : ''}`;
}

function stepsTable(c: ReportCall): string {
  if (!c.steps || c.steps.length === 0) return '';
  const rows = c.steps.map((s) => `<tr class="step-row ${s.status}"${attr('data-step', s.index)}${attr('data-status', s.status)}>`
    + `<td>${s.index}</td><td class="st">${s.status === 'passed' ? '✓' : s.status === 'failed' ? '✗' : '–'}</td><td>${(s.startMs / 1000).toFixed(2)}</td><td>${(s.durationMs / 1000).toFixed(2)}</td>`
    + `<td><code>${esc(s.label)}</code> <span class="line">line ${s.line}</span></td><td>${esc(s.status === 'failed' ? s.error ?? 'failed' : s.detail ?? '')}${s.score !== undefined ? ` <span class="score">score ${s.score.toFixed(2)}${s.threshold !== undefined ? ` / ${s.threshold}` : ''}</span>` : ''}</td></tr>`).join('');
  return `<h3>Script steps</h3><table class="steps"><thead><tr><th>#</th><th></th><th>at (s)</th><th>took (s)</th><th>step</th><th>outcome</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function eventsTable(c: ReportCall): string {
  if (c.events.length === 0) return '';
  const rows = c.events.map((e) => `<tr class="ev ${e.kind} ${e.status ?? ''}"${attr('data-kind', e.kind)}><td>${(e.atMs / 1000).toFixed(3)}</td><td>${e.endMs !== undefined ? ((e.endMs - e.atMs) / 1000).toFixed(2) : ''}</td><td>${esc(e.kind)}</td><td>${esc(e.text)}${e.score !== undefined ? ` <span class="score">score ${e.score.toFixed(2)}</span>` : ''}</td></tr>`).join('');
  return `<details class="events"><summary>All events (${c.events.length})</summary><table><thead><tr><th>at (s)</th><th>for (s)</th><th>kind</th><th>what</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

function audioSection(c: ReportCall): string {
  const a = c.audio;
  if (!a) return '<p class="empty">No recording (give <code>--record-both</code>, or let <code>--report</code> record one).</p>';
  const player = a.src !== undefined
    ? `<audio controls preload="metadata"${attr('src', a.src)}${attr('data-embedded', a.embedded ? 'yes' : 'no')}></audio>`
    : '';
  const wave = a.waveform ? waveformSvg(a.waveform) : '';
  return `<div class="audio"><div class="audio-bar">${player}<span class="file">${esc(a.path)}${a.embedded ? ' (embedded)' : ''}</span></div>${a.note ? `<p class="note">${esc(a.note)}</p>` : ''}${wave}</div>`;
}

function qualitySection(c: ReportCall): string {
  const q: ReportQuality | undefined = c.quality;
  if (!q) {
    return '<p class="empty">No quality figures in this summary (a summary from before the quality model, or a call without media); the RTP totals are above.</p>';
  }
  const r = q.received;
  const pdd = q.postDialDelay;
  const owa = q.oneWayAudio;
  const figs = [
    figure('mos', 'MOS (E-model)', q.mos, num(q.mos, 2)),
    figure('r-factor', 'R-factor', q.r, num(q.r, 1)),
    figure('quality-codec', 'Codec (G.113 Ie, Bpl)', q.codec.name, `${q.codec.name} (Ie ${q.codec.Ie}, Bpl ${q.codec.Bpl}${q.codec.plc ? ', PLC' : ''})`),
    figure('loss', 'Loss (lost + late)', r.lossPercent, `${num(r.lossPercent, 2, ' %')} (${r.lost} + ${r.late} of ${r.expected})`),
    figure('late', 'Late (discarded)', r.late, String(r.late)),
    figure('jitter', 'Jitter', r.jitterMs, `${num(r.jitterMs, 2, ' ms')} (max ${num(r.maxJitterMs, 2)})`),
    figure('rtt', 'Round trip (RTCP)', r.rttMs, num(r.rttMs, 1, ' ms')),
    figure('peer-loss', 'Peer hears us: loss', q.sent?.lossPercent, num(q.sent?.lossPercent, 2, ' %')),
    figure('pdd-ringing', 'Post-dial delay to 18x', pdd.toRingingMs, num(pdd.toRingingMs, 0, ' ms')),
    figure('pdd-answer', 'Post-dial delay to 200', pdd.toAnswerMs, num(pdd.toAnswerMs, 0, ' ms')),
    figure('one-way-audio', 'One-way audio', owa.oneWay, owa.oneWay ? `yes: ${owa.deadSide ?? '?'} side dead for ${(owa.deadForMs / 1000).toFixed(1)} s` : 'no'),
  ];
  const rows = q.perSecond;
  const charts = rows.length === 0 ? '<p class="empty">No per-second rows.</p>' : [
    lineChart({ width: 340, title: 'MOS per second', unit: 'MOS', name: 'mos', yMin: 1, yMax: 4.5, series: [{ cls: 'mos', points: rows.map((s) => [s.second, s.mos]) }] }),
    lineChart({ width: 340, title: 'Loss per second', unit: '%', name: 'loss', yMin: 0, series: [{ cls: 'loss', points: rows.map((s) => [s.second, s.lossPercent]) }] }),
    lineChart({ width: 340, title: 'Jitter per second', unit: 'ms', name: 'jitter', yMin: 0, series: [{ cls: 'jitter', points: rows.map((s) => [s.second, s.jitterMs]) }, { cls: 'jitter-max', points: rows.map((s) => [s.second, s.maxJitterMs]) }] }),
  ].join('');
  return `<div class="figs">${figs.join('')}</div><div class="charts">${charts}</div>`;
}

function callSection(c: ReportCall, i: number): string {
  const end = Math.max(c.durationMs + (c.answeredAtMs ?? 0), ...c.sip.map((m) => m.atMs), ...c.events.map((e) => e.endMs ?? e.atMs));
  const state = c.passed === undefined ? '' : c.passed ? '<span class="badge pass">PASSED</span>' : '<span class="badge fail">FAILED</span>';
  const missing = c.noEvidence ? '<p class="note">This summary was written without its evidence: no SIP messages or events to draw.</p>' : '';
  const dropped = c.droppedSip > 0 ? `<p class="note">${c.droppedSip} further SIP messages were not kept (the first ${c.sip.length} are shown).</p>` : '';
  return `<section class="call"${attr('id', `call-${i + 1}`)}${attr('data-call-id', c.callId)}${c.passed !== undefined ? attr('data-passed', String(c.passed)) : ''}>`
    + `<h2>${esc(c.title)} ${state}</h2><p class="target"><code>${esc(c.target)}</code>${c.callId ? ` · Call-ID <code>${esc(c.callId)}</code>` : ''}</p>${missing}`
    + `<div class="card" data-section="summary">${summarySection(c)}</div>`
    + `${c.steps ? `<div class="card" data-section="steps">${stepsTable(c)}</div>` : ''}`
    + `<div class="card" data-section="ladder"><h3>SIP ladder <button type="button" class="expand-all">expand all</button></h3>${dropped}${renderLadder(c.sip, c.startedAtWallMs)}</div>`
    + `<div class="card" data-section="timeline"><h3>Timeline</h3><div class="legend"><span class="k speech">speech heard</span><span class="k tone">tone heard</span><span class="k passed">step passed</span><span class="k failed">step failed</span><span class="k dtmf">DTMF</span></div>${timelineSvg(c.sip, c.events, end)}${eventsTable(c)}</div>`
    + `<div class="card" data-section="recording"><h3>Recording</h3>${audioSection(c)}</div>`
    + `<div class="card" data-section="quality"><h3>Quality</h3>${qualitySection(c)}</div>`
    + '</section>';
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; media-src data: file: 'self'";

export function renderReport(page: ReportPage): string {
  const failedCalls = page.calls.filter((c) => c.passed === false).length;
  const badge = page.passed === undefined ? '' : page.passed ? '<span class="badge pass">PASSED</span>' : '<span class="badge fail">FAILED</span>';
  const toc = page.calls.length > 1
    ? `<nav class="toc">${page.calls.map((c, i) => `<a${attr('href', `#call-${i + 1}`)} class="${c.passed === false ? 'fail' : c.passed ? 'pass' : ''}">${esc(c.title)}</a>`).join('')}</nav>`
    : '';
  const sub = page.kind === 'load' && page.load
    ? `script <code>${esc(page.script ?? '')}</code> · ${page.load.stats.started} caller(s), ${page.load.stats.failed} failed${page.durationMs !== undefined ? ` · ${secs(page.durationMs, 1)}` : ''}`
    : page.kind === 'run'
      ? `script <code>${esc(page.script ?? '')}</code> · ${page.calls.length} call(s)${failedCalls ? `, ${failedCalls} failed` : ''}${page.durationMs !== undefined ? ` · ${secs(page.durationMs, 1)}` : ''}`
      : 'one call';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"${attr('content', CSP)}>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="umphone">
<title>${esc(page.title)}</title>
<style>${PAGE_CSS}</style></head>
<body data-kind="${page.kind}">
<header><h1>${esc(page.title)} ${badge}</h1><p class="sub">${sub} · made ${esc(page.generatedAt)} by umphone</p>${toc}</header>
<main>
${page.load ? renderLoadSection(page.load) : ''}
${page.calls.map((c, i) => callSection(c, i)).join('\n')}
</main>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
