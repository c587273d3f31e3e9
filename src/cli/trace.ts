/**
 * `-v`: every SIP message sent and received, readable like sngrep's message view. One header line with
 * the time, the direction arrow, the transport and both addresses, then the message itself indented
 * (start line, headers, blank line, body), so a person can read a call flow top to bottom:
 *
 *   14:02:11.123 ──▶ TCP 127.0.0.1:5070 → 10.0.0.5:5060 (843 bytes)
 *       INVITE sip:680@10.0.0.5;transport=tcp SIP/2.0
 *       Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK...
 *
 * Pure: the caller decides where the text goes and whether colours are on (only on a TTY).
 */
import type { TraceEvent } from '../sip/transport/transport.js';

export interface TraceFormatOptions {
  /** ANSI colours (only when writing to a terminal). */
  color?: boolean;
  /** Print times in UTC instead of the local time zone (tests, logs shared across zones). */
  utc?: boolean;
  /** Indentation of the message lines. Default 4 spaces. */
  indent?: string;
}

const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';
const CYAN = '\u001b[36m';
const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const RED = '\u001b[31m';

/** HH:MM:SS.mmm of a wall-clock timestamp (ms since the epoch). */
export function formatClockTime(ms: number, utc = false): string {
  const d = new Date(ms);
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  const milli = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(milli, 3)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The message as text lines: CRLF line ends dropped, control characters shown as \xNN, trailing blanks trimmed. */
export function messageLines(bytes: Buffer): string[] {
  // SIP is UTF-8 text (RFC 3261 §7.3.1); a binary body would still print, escaped.
  const text = bytes.toString('utf8');
  const lines = text.split(/\r\n|\n|\r/).map((l) =>
    // eslint-disable-next-line no-control-regex
    l.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
  );
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The start line's colour: requests cyan, 1xx dim, 2xx green, 3xx yellow, 4xx-6xx red. */
function startLineColor(line: string): string {
  const m = /^SIP\/2\.0\s+(\d)\d\d\b/.exec(line);
  if (!m) return BOLD + CYAN;
  switch (m[1]) {
    case '1': return DIM;
    case '2': return BOLD + GREEN;
    case '3': return BOLD + YELLOW;
    default: return BOLD + RED;
  }
}

/** One traced message as text (ends with a newline). */
export function formatTrace(e: TraceEvent, options: TraceFormatOptions = {}): string {
  const color = options.color ?? false;
  const indent = options.indent ?? '    ';
  const time = formatClockTime(e.timestamp, options.utc);
  const proto = e.protocol.toUpperCase();
  const local = hostPort(e.local.address, e.local.port);
  const remote = hostPort(e.remote.address, e.remote.port);
  const arrow = e.direction === 'out' ? '──▶' : '◀──';
  const route = e.direction === 'out' ? `${local} → ${remote}` : `${remote} → ${local}`;
  const lines = messageLines(e.bytes);
  const keepAlive = lines.length === 0;
  const size = `(${e.bytes.length} byte${e.bytes.length === 1 ? '' : 's'}${keepAlive ? ', keep-alive' : ''})`;
  const head = color
    ? `${DIM}${time}${RESET} ${e.direction === 'out' ? CYAN : GREEN}${arrow}${RESET} ${proto} ${route} ${DIM}${size}${RESET}`
    : `${time} ${arrow} ${proto} ${route} ${size}`;
  const out = [head];
  lines.forEach((line, i) => {
    if (i === 0 && color) out.push(`${indent}${startLineColor(line)}${line}${RESET}`);
    else out.push(line === '' ? '' : `${indent}${line}`);
  });
  return `${out.join('\n')}\n\n`;
}
