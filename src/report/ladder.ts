/**
 * The SIP ladder diagram, as sngrep and Wireshark's flow graph draw it: one column per address:port in
 * the order they first appear (so a redirect's second leg, on its own connection, gets its own pair of
 * columns to the right of the first), one row per message with its time on the left and an arrow
 * between the sender's and the receiver's columns labelled with the method or the status. A row opens
 * to the message's full text. Each row carries its columns and label as data attributes (data-from,
 * data-to, data-from-col, data-to-col, data-label) for tools and for the browser test.
 */
import type { SipRecord } from '../phone/call-evidence.js';
import { attr, esc } from './html.js';

export const COLUMN_WIDTH = 200;
const ROW_HEIGHT = 30;

export interface LadderRow {
  index: number;
  atMs: number;
  from: string;
  to: string;
  fromCol: number;
  toCol: number;
  /** "INVITE", "302" ... */
  label: string;
  /** "302 Moved Temporarily", "INVITE sip:680@..." */
  startLine: string;
  /** "request", "1xx" ... "6xx". */
  cls: string;
  sdp: boolean;
  cseq: string;
}

export interface Ladder {
  columns: Array<{ address: string; ours: boolean }>;
  rows: LadderRow[];
}

/** The start line, the CSeq and whether the body is SDP, from a message's text. */
function describe(text: string): { startLine: string; label: string; cls: string; sdp: boolean; cseq: string } {
  const nl = text.indexOf('\n');
  const startLine = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '').trim();
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const cseq = /(?:^|\n)cseq[ \t]*:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? '';
  const sdp = /(?:^|\n)(?:content-type|c)[ \t]*:[ \t]*application\/sdp/i.test(head);
  const res = /^SIP\/2\.0[ \t]+(\d{3})/i.exec(startLine);
  if (res) return { startLine, label: res[1]!, cls: `${res[1]![0]}xx`, sdp, cseq };
  const method = /^([A-Za-z]+)/.exec(startLine)?.[1]?.toUpperCase() ?? '?';
  return { startLine, label: method, cls: 'request', sdp, cseq };
}

export function buildLadder(sip: readonly SipRecord[]): Ladder {
  const columns: Array<{ address: string; ours: boolean }> = [];
  const col = (address: string, ours: boolean): number => {
    let i = columns.findIndex((c) => c.address === address);
    if (i < 0) i = columns.push({ address, ours }) - 1;
    return i;
  };
  const rows = sip.map((m, index) => {
    const from = m.direction === 'out' ? m.local : m.remote;
    const to = m.direction === 'out' ? m.remote : m.local;
    const fromCol = col(from, m.direction === 'out');
    const toCol = col(to, m.direction === 'in');
    return { index, atMs: m.atMs, from, to, fromCol, toCol, ...describe(m.text) };
  });
  return { columns, rows };
}

function lifelines(n: number, height: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const x = i * COLUMN_WIDTH + COLUMN_WIDTH / 2;
    s += `<line class="life" x1="${x}" y1="0" x2="${x}" y2="${height}"/>`;
  }
  return s;
}

function arrowSvg(r: LadderRow, n: number): string {
  const w = n * COLUMN_WIDTH;
  const x1 = r.fromCol * COLUMN_WIDTH + COLUMN_WIDTH / 2;
  const x2 = r.toCol * COLUMN_WIDTH + COLUMN_WIDTH / 2;
  const y = ROW_HEIGHT - 8;
  const dir = x2 >= x1 ? 1 : -1;
  const head = `${x2},${y} ${x2 - dir * 8},${y - 4} ${x2 - dir * 8},${y + 4}`;
  const label = `${r.cls === 'request' ? r.label : r.startLine.replace(/^SIP\/2\.0\s+/i, '')}${r.sdp ? ' (SDP)' : ''}`;
  const mid = (x1 + x2) / 2;
  const text = x1 === x2
    ? `<text x="${x1 + 6}" y="${y - 6}">${esc(label)}</text>`
    : `<text x="${mid}" y="${y - 6}" text-anchor="middle">${esc(label)}</text>`;
  return `<svg class="arrow" width="${w}" height="${ROW_HEIGHT}" viewBox="0 0 ${w} ${ROW_HEIGHT}" aria-hidden="true">${lifelines(n, ROW_HEIGHT)}`
    + `<line class="shaft" x1="${x1}" y1="${y}" x2="${x2 - dir * 6}" y2="${y}"/><polygon class="head" points="${head}"/>${text}</svg>`;
}

/** The ladder as HTML: a header with the columns, then one row (and its hidden full text) per message. */
export function renderLadder(sip: readonly SipRecord[], startWallMs: number | undefined): string {
  if (sip.length === 0) return '<p class="empty">No SIP messages were recorded for this call.</p>';
  const ladder = buildLadder(sip);
  const n = ladder.columns.length;
  const w = n * COLUMN_WIDTH;
  const head = ladder.columns.map((c, i) =>
    `<div class="col-head${c.ours ? ' ours' : ''}" style="left:${i * COLUMN_WIDTH}px;width:${COLUMN_WIDTH}px"${attr('data-col', i)}${attr('data-address', c.address)}>`
    + `<span class="addr">${esc(c.address)}</span><span class="role">${c.ours ? 'umphone' : 'peer'}</span></div>`).join('');
  const rows = ladder.rows.map((r) => {
    const m = sip[r.index]!;
    const wall = startWallMs !== undefined ? new Date(m.wallMs).toISOString().slice(11, 23) : '';
    const id = `m${r.index}`;
    return `<div class="msg cls-${r.cls}" role="button" tabindex="0" aria-expanded="false"${attr('aria-controls', id)}`
      + `${attr('data-index', r.index)}${attr('data-from', r.from)}${attr('data-to', r.to)}${attr('data-from-col', r.fromCol)}${attr('data-to-col', r.toCol)}`
      + `${attr('data-label', r.label)}${attr('data-transport', m.transport)}${attr('title', `${r.startLine}\nCSeq: ${r.cseq}\n${m.transport} ${r.from} → ${r.to}, ${m.bytes} bytes${wall ? `\n${wall} UTC` : ''}`)}>`
      + `<span class="t">${(r.atMs / 1000).toFixed(3)}</span>${arrowSvg(r, n)}</div>`
      + `<div class="sip-text" hidden${attr('id', id)}><div class="sip-meta">${esc(`${m.direction === 'out' ? 'sent' : 'received'} ${m.transport} ${r.from} → ${r.to} · ${m.bytes} bytes${wall ? ` · ${wall} UTC` : ''}${m.truncated ? ' · cut at 64 KiB' : ''}`)}</div>`
      + `<pre>${esc(m.text.replace(/\r\n/g, '\n'))}</pre></div>`;
  }).join('\n');
  return `<div class="ladder" style="--cols:${n}"><div class="ladder-head" style="width:${w}px"><span class="t">time (s)</span><div class="cols" style="width:${w}px">${head}</div></div>\n${rows}</div>`;
}
