/**
 * The call summary printed when `umphone call` ends: what was called, how it ended, the redirect chain
 * hop by hop (each target, its q-value, the response it gave), timing, codec, RTP statistics in both
 * directions, DTMF both ways with the method that carried them, and the recordings written. The same
 * CallSummary goes to `--json` unformatted. Pure: text in, text out.
 */
import type { CallSummary, RedirectHop } from '../phone/call-types.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import type { CallQuality } from '../phone/call-quality.js';

const LABEL_WIDTH = 13;

function row(label: string, value: string): string {
  return `  ${label.padEnd(LABEL_WIDTH)}${value}`;
}

/** Seconds with two decimals: "12.34 s". */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** "302 Moved Temporarily", "200 OK", or "no response" for a hop that never answered. */
function hopResult(hop: RedirectHop): string {
  if (hop.status === undefined) return 'no final response';
  return hop.reason ? `${hop.status} ${hop.reason}` : String(hop.status);
}

/** One line per hop: "1. sip:680@10.0.0.5;transport=tcp (q=0.5) → 302 Moved Temporarily". */
export function formatRedirectChain(hops: readonly RedirectHop[]): string[] {
  return hops.map((h, i) => {
    const q = h.q !== undefined ? ` (q=${h.q})` : '';
    const depth = h.depth > 0 ? ` [depth ${h.depth}]` : '';
    return `${i + 1}. ${h.uri}${q}${depth} → ${hopResult(h)}`;
  });
}

/**
 * Digits grouped by the method that carried them, in order: "1234 (rfc4733), # (info)".
 * An empty list is "none".
 */
export function formatDigits(digits: readonly DtmfDigitEvent[]): string {
  if (digits.length === 0) return 'none';
  const groups: Array<{ method: string; keys: string }> = [];
  for (const d of digits) {
    const last = groups[groups.length - 1];
    if (last && last.method === d.method) last.keys += d.digit;
    else groups.push({ method: d.method, keys: d.digit });
  }
  return groups.map((g) => `${g.keys} (${g.method})`).join(', ');
}

/** The result line: "answered (200 OK), ended by remote (BYE)" or "not answered: 486 Busy Here". */
export function formatResult(s: CallSummary): string {
  const status = s.status !== undefined ? `${s.status}${s.reason ? ` ${s.reason}` : ''}` : undefined;
  if (s.answeredAtMs !== undefined) {
    return `answered (${status ?? 'no status'})${s.endedBy ? `, ended by ${s.endedBy}` : ''}`;
  }
  const why = s.endedBy ?? status ?? 'not answered';
  return `not answered: ${why}`;
}

/**
 * The media security line: "SRTP AES_CM_128_HMAC_SHA1_80, 0 auth failures, 0 replays" (+ other drops,
 * rekeys, when there were any).
 */
export function formatSrtp(s: CallSummary): string {
  const x = s.srtp!;
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const other = x.rtp.dropped - x.rtp.authFailures - x.rtp.replays;
  const parts = [`SRTP ${x.suite}`, plural(x.rtp.authFailures, 'auth failure'), plural(x.rtp.replays, 'replay')];
  if (other > 0) parts.push(`${other} other dropped`);
  if (x.rekeys > 0) parts.push(plural(x.rekeys, 'rekey'));
  return parts.join(', ');
}

export interface SummaryFormatOptions {
  /** Heading text; default "Call summary". */
  title?: string;
}

/** The whole summary block (ends with a newline). */
export function formatSummary(s: CallSummary, options: SummaryFormatOptions = {}): string {
  const title = options.title ?? 'Call summary';
  const lines = [`── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}`];
  lines.push(row('Target', s.target));
  lines.push(row('Result', formatResult(s)));
  if (s.callId) lines.push(row('Call-ID', s.callId));
  const chain = formatRedirectChain(s.redirects);
  if (chain.length > 0) {
    lines.push(row(s.redirects.length > 1 ? 'Redirects' : 'Target set', chain[0]!));
    for (const c of chain.slice(1)) lines.push(row('', c));
  }
  if (s.answeredAtMs !== undefined) lines.push(row('Answered', `after ${formatSeconds(s.answeredAtMs)}`));
  lines.push(row('Duration', formatSeconds(s.durationMs)));
  if (s.codec) lines.push(row('Codec', s.codec));
  if (s.remoteRtp) lines.push(row('Remote RTP', s.remoteRtp));
  if (s.rtp) {
    const { sent, received: r } = s.rtp;
    lines.push(row('RTP sent', `${sent.packets} packets, ${sent.bytes} bytes`));
    const extras = [
      r.duplicates > 0 ? `${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}` : '',
      r.outOfOrder > 0 ? `${r.outOfOrder} out of order` : '',
    ].filter((x) => x !== '');
    lines.push(row(
      'RTP received',
      `${r.packets} packets, lost ${r.lost} (${r.lossPercent.toFixed(2)} %), jitter ${r.jitterMs.toFixed(2)} ms${extras.length > 0 ? `, ${extras.join(', ')}` : ''}`,
    ));
  }
  if (s.srtp) lines.push(row('Media', formatSrtp(s)));
  if (s.quality) lines.push(...formatQuality(s.quality, s.rtp !== undefined).map(([l, v]) => row(l, v)));
  lines.push(row('DTMF sent', formatDigits(s.dtmf.sent)));
  lines.push(row('DTMF recv', formatDigits(s.dtmf.received)));
  lines.push(row('Recordings', s.recordings.length > 0 ? s.recordings.join(', ') : 'none'));
  return `${lines.join('\n')}\n`;
}

const ms = (x: number): string => (x < 1000 ? `${x.toFixed(x < 10 ? 2 : 1)} ms` : formatSeconds(x));

/**
 * The quality block (docs/quality.md): MOS and R with the codec's E-model values, loss with its bursts
 * and late discards, jitter, RTT, how the peer hears us, post-dial delay, one-way audio. Rows are
 * [label, value]; the media rows only when media ran.
 */
export function formatQuality(q: CallQuality, media: boolean): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const r = q.received;
  if (media) {
    const codec = `${q.codec.name}, Ie ${q.codec.Ie}, Bpl ${q.codec.Bpl}${q.codec.plc ? '' : ', no PLC'}`;
    rows.push(['MOS', q.mos === undefined ? `not measured (no RTP received)` : `${q.mos.toFixed(2)} (R ${q.r!.toFixed(1)}; E-model G.107, ${codec})`]);
    const runs = r.lossRuns;
    const bursts = runs.lossRuns > 0 ? `; ${runs.lossRuns} run${runs.lossRuns === 1 ? '' : 's'}, longest ${runs.maxLossRun}, burst ratio ${runs.burstR.toFixed(2)}` : '';
    rows.push(['Loss', `${r.lossPercent.toFixed(2)} % (${r.lost} lost, ${r.late} late of ${r.expected}${bursts})`]);
    rows.push(['Jitter', `${ms(r.jitterMs)} (max ${ms(r.maxJitterMs)})`]);
    rows.push(['RTT', r.rttMs === undefined ? 'not measured (no RTCP round trip from the peer)' : `${ms(r.rttMs)} (max ${ms(r.maxRttMs ?? r.rttMs)}), one-way delay est. ${ms(r.oneWayDelayMs)}`]);
    if (q.sent) rows.push(['Peer hears', `loss ${q.sent.lossPercent.toFixed(2)} %, jitter ${ms(q.sent.jitterMs)} (its RTCP)`]);
  }
  const p = q.postDialDelay;
  if (p.invites > 0) {
    const parts = [
      p.toRingingMs !== undefined ? `18x after ${formatSeconds(p.toRingingMs)}` : 'no 18x',
      p.toAnswerMs !== undefined ? `200 after ${formatSeconds(p.toAnswerMs)}` : p.finalStatus !== undefined ? `${p.finalStatus} after ${formatSeconds(p.toFinalMs!)}` : 'no final response',
    ];
    const extra = p.invites > 1 ? ` (${p.invites} INVITEs${p.redirects > 0 ? `, ${p.redirects} redirect${p.redirects === 1 ? '' : 's'}` : ''})` : '';
    rows.push(['Post-dial', `${parts.join(', ')}${extra}`]);
  }
  if (media) {
    const o = q.oneWayAudio;
    rows.push(['One-way', o.oneWay ? `yes: nothing heard from the ${o.deadSide === 'received' ? 'far end' : 'near end'} for ${formatSeconds(o.deadForMs)} from ${formatSeconds(o.deadFromMs ?? 0)}` : 'no']);
  }
  return rows;
}
