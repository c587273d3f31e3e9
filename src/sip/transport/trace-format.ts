/**
 * Text for `-v`: one TraceEvent as an sngrep/SIPp-like block, or as a one-line arrow for a ladder view.
 * Pure functions over the TraceEvent of transport.ts (the hook itself is SipTransport.onTrace /
 * SipEndpoint.onTrace); the CLI decides where the text goes.
 */
import type { HostPort, TraceEvent } from './transport.js';

const hp = (a: HostPort): string => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);

/** ISO time with milliseconds, from the event's wall-clock timestamp. */
function time(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').replace('Z', '');
}

/** The start line of the traced bytes (latin1, so no byte is lost), or a note for keep-alives. */
export function traceStartLine(e: TraceEvent): string {
  const text = e.bytes.toString('latin1');
  const end = text.indexOf('\n');
  const line = (end < 0 ? text : text.slice(0, end)).replace(/\r$/, '');
  return line.trim() === '' ? '(keep-alive)' : line;
}

/**
 * `2026-11-25 15:30:55.859 UDP 127.0.0.1:5060 -> 127.0.0.1:40000 (512 bytes)` followed by the message,
 * headers and body, with CRLF shown as line breaks and non-printable body bytes as '.'.
 */
export function formatTrace(e: TraceEvent, opts: { body?: boolean } = {}): string {
  const [from, to] = e.direction === 'out' ? [e.local, e.remote] : [e.remote, e.local];
  const head = `${time(e.timestamp)} ${e.protocol.toUpperCase()} ${hp(from)} -> ${hp(to)} (${e.bytes.length} bytes)`;
  const text = e.bytes.toString('latin1');
  const split = text.search(/\r?\n\r?\n/);
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split).replace(/^\r?\n\r?\n/, '');
  const lines = [head, ...headers.split(/\r?\n/).map((l) => `  ${l}`)];
  if (body.length > 0 && opts.body !== false) {
    lines.push('', ...body.replace(/[^\t\n\r\x20-\x7e]/g, '.').split(/\r?\n/).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

/** One line for a ladder: `15:30:55.859  --> INVITE sip:bob@x SIP/2.0   127.0.0.1:40000 (UDP)`. */
export function formatTraceLine(e: TraceEvent): string {
  const clock = time(e.timestamp).slice(11);
  const arrow = e.direction === 'out' ? '-->' : '<--';
  return `${clock}  ${arrow} ${traceStartLine(e)}   ${hp(e.remote)} (${e.protocol.toUpperCase()})`;
}
