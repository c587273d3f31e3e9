/**
 * The report's pictures as inline SVG, drawn here (no chart library: three kinds of picture do not
 * justify one, and the page must work from file:// with nothing fetched): a per-second line chart
 * (MOS, loss, jitter), the call's timeline in lanes, and the recording's waveform.
 */
import type { EvidenceEvent, SipRecord } from '../phone/call-evidence.js';
import { attr, esc } from './html.js';
import type { Waveform } from './wav-peaks.js';

const PAD = { l: 48, r: 12, t: 22, b: 26 };

/** Round axis steps: 1, 2, 5 × 10^n. */
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}

export interface ChartSeries {
  /** x (seconds) and y; undefined y is a gap. */
  points: Array<[number, number | undefined]>;
  cls: string;
}

export interface LineChartOptions {
  title: string;
  unit: string;
  /** data-chart attribute: "mos", "loss", "jitter". */
  name: string;
  series: ChartSeries[];
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}

/** A line chart over seconds; each point has a <title> with its value, gaps where a second has none. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 420;
  const H = o.height ?? 170;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]).filter((y): y is number => y !== undefined));
  const xMax = Math.max(1, ...xs);
  let yMin = o.yMin ?? Math.min(0, ...ys);
  let yMax = o.yMax ?? Math.max(1, ...ys);
  if (ys.length > 0 && o.yMax === undefined) yMax = Math.max(yMax, ...ys) * 1.1 || 1;
  if (yMax <= yMin) yMax = yMin + 1;
  const step = niceStep(yMax - yMin, 4);
  yMin = Math.floor(yMin / step) * step;
  yMax = Math.ceil(yMax / step) * step;
  const x = (v: number): number => PAD.l + (v / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number): number => H - PAD.b - ((v - yMin) / (yMax - yMin)) * (H - PAD.t - PAD.b);
  let grid = '';
  for (let v = yMin; v <= yMax + step / 2; v += step) {
    grid += `<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="tick" x="${PAD.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(+v.toFixed(6))}</text>`;
  }
  const xStep = niceStep(xMax, 6);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    grid += `<text class="tick" x="${x(v).toFixed(1)}" y="${H - 8}" text-anchor="middle">${fmt(v)}s</text>`;
  }
  const lines = o.series.map((s) => {
    let d = '';
    let pen = false;
    let dots = '';
    for (const [px, py] of s.points) {
      if (py === undefined) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`;
      pen = true;
      dots += `<circle class="dot ${s.cls}" cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.2"${attr('data-x', px)}${attr('data-y', py)}><title>${esc(`${px} s: ${fmt(+py.toFixed(3))} ${o.unit}`)}</title></circle>`;
    }
    return `<path class="series ${s.cls}" d="${d}"/>${s.points.length <= 600 ? dots : ''}`;
  }).join('');
  const empty = ys.length === 0 ? `<text class="tick" x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>` : '';
  return `<figure class="chart"${attr('data-chart', o.name)}><figcaption>${esc(o.title)} <span class="unit">(${esc(o.unit)})</span></figcaption>`
    + `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img"${attr('aria-label', o.title)}>${grid}${lines}${empty}</svg></figure>`;
}

const LANES = ['SIP', 'Steps', 'Heard', 'DTMF sent', 'DTMF received'] as const;

function sipClass(text: string): string {
  const m = /^SIP\/2\.0[ \t]+(\d)/i.exec(text);
  return m ? `c${m[1]}xx` : 'creq';
}

/** The call in lanes over time: SIP messages, script steps (failed in red), speech and tones heard, DTMF both ways. */
export function timelineSvg(sip: readonly SipRecord[], events: readonly EvidenceEvent[], endMs: number): string {
  const W = 960;
  const laneH = 26;
  const left = 110;
  const H = PAD.t + LANES.length * laneH + 24;
  const span = Math.max(1000, endMs, ...sip.map((m) => m.atMs), ...events.map((e) => e.endMs ?? e.atMs));
  const x = (ms: number): number => left + (Math.max(0, ms) / span) * (W - left - PAD.r);
  const laneY = (i: number): number => PAD.t + i * laneH;
  let s = '';
  LANES.forEach((name, i) => {
    s += `<text class="lane" x="6" y="${laneY(i) + 17}">${name}</text><line class="grid" x1="${left}" x2="${W - PAD.r}" y1="${laneY(i) + laneH}" y2="${laneY(i) + laneH}"/>`;
  });
  const step = niceStep(span / 1000, 10);
  for (let v = 0; v <= span / 1000 + 1e-9; v += step) {
    s += `<line class="grid" x1="${x(v * 1000).toFixed(1)}" x2="${x(v * 1000).toFixed(1)}" y1="${PAD.t}" y2="${H - 22}"/><text class="tick" x="${x(v * 1000).toFixed(1)}" y="${H - 8}" text-anchor="middle">${fmt(+v.toFixed(3))}s</text>`;
  }
  for (const m of sip) {
    const line = m.text.split(/\r?\n/, 1)[0] ?? '';
    s += `<line class="sip-tick ${sipClass(line)}" x1="${x(m.atMs).toFixed(1)}" x2="${x(m.atMs).toFixed(1)}" y1="${laneY(0) + 4}" y2="${laneY(0) + laneH - 4}"><title>${esc(`${(m.atMs / 1000).toFixed(3)} s ${m.direction === 'out' ? '→' : '←'} ${line}`)}</title></line>`;
  }
  for (const e of events) {
    const title = `<title>${esc(`${(e.atMs / 1000).toFixed(3)} s${e.endMs !== undefined ? `–${(e.endMs / 1000).toFixed(3)} s` : ''}: ${e.text}${e.score !== undefined ? ` (score ${e.score.toFixed(2)}${e.threshold !== undefined ? `, threshold ${e.threshold}` : ''})` : ''}`)}</title>`;
    const data = `${attr('data-kind', e.kind)}${e.status ? attr('data-status', e.status) : ''}`;
    if (e.kind === 'step' || e.kind === 'prompt') {
      const x1 = x(e.atMs);
      const w = Math.max(3, x(e.endMs ?? e.atMs) - x1);
      s += `<rect class="step ${e.status ?? ''}" x="${x1.toFixed(1)}" y="${laneY(1) + 5}" width="${w.toFixed(1)}" height="${laneH - 10}" rx="3"${data}>${title}</rect>`;
    } else if (e.kind === 'speech' || e.kind === 'tone') {
      const x1 = x(e.atMs);
      const w = Math.max(2, x(e.endMs ?? e.atMs) - x1);
      s += `<rect class="${e.kind}" x="${x1.toFixed(1)}" y="${laneY(2) + 6}" width="${w.toFixed(1)}" height="${laneH - 12}" rx="2"${data}>${title}</rect>`;
    } else if (e.kind === 'dtmf-sent' || e.kind === 'dtmf-received') {
      const lane = e.kind === 'dtmf-sent' ? 3 : 4;
      const cx = x(e.atMs);
      const cy = laneY(lane) + laneH / 2;
      s += `<g class="dtmf ${e.kind}"${data}>${title}<rect x="${(cx - 7).toFixed(1)}" y="${cy - 8}" width="14" height="16" rx="3"/><text x="${cx.toFixed(1)}" y="${cy + 4}" text-anchor="middle">${esc(e.digit ?? '?')}</text></g>`;
    }
  }
  return `<svg class="timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="timeline of the call">${s}</svg>`;
}

/** The recording's waveform, one band per channel (left = received, right = sent), with a play head. */
export function waveformSvg(w: Waveform): string {
  const W = 960;
  const band = 70;
  const H = band * w.channels + 20;
  const names = w.channels === 2 ? ['received (left)', 'sent (right)'] : ['received'];
  let s = '';
  w.peaks.forEach((cols, c) => {
    const mid = band * c + band / 2;
    const scale = (band / 2 - 4) / 127;
    let d = '';
    const n = cols.length;
    cols.forEach(([lo, hi], i) => {
      const px = ((i + 0.5) / Math.max(1, n)) * W;
      d += `M${px.toFixed(1)} ${(mid - hi * scale - 0.5).toFixed(1)}V${(mid - lo * scale + 0.5).toFixed(1)}`;
    });
    s += `<rect class="band" x="0" y="${band * c}" width="${W}" height="${band}"/><line class="axis" x1="0" x2="${W}" y1="${mid}" y2="${mid}"/>`
      + `<path class="wave ch${c}" d="${d}"/><text class="lane" x="6" y="${band * c + 14}">${esc(names[c] ?? `channel ${c + 1}`)}</text>`;
  });
  const secsTotal = w.durationMs / 1000;
  const step = niceStep(Math.max(1, secsTotal), 10);
  for (let v = 0; v <= secsTotal + 1e-9; v += step) {
    s += `<text class="tick" x="${Math.max(10, Math.min(W - 14, (v / Math.max(secsTotal, 1e-9)) * W)).toFixed(1)}" y="${H - 5}" text-anchor="middle">${fmt(+v.toFixed(3))}s</text>`;
  }
  return `<svg class="waveform" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" width="100%" height="${H}"${attr('data-duration-ms', Math.round(w.durationMs))}${attr('data-channels', w.channels)}>`
    + `${s}<line class="playhead" x1="0" x2="0" y1="0" y2="${band * w.channels}"/></svg>`;
}
