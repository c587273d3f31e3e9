/**
 * The server's log: one line per SIP message (who, direction, first line, Call-ID) and per menu step;
 * with `-v` the whole message too, sngrep-style. Lines go to a sink the caller chooses (the CLI prints
 * them, the demo and the tests keep them).
 */
import type { TraceEvent } from '../sip/transport/transport.js';

export type UmLogKind = 'sip' | 'menu' | 'call' | 'info';

export interface UmLogEntry {
  kind: UmLogKind;
  /** Which part of the server: 'call router', 'UM service', 'worker'. */
  role: string;
  line: string;
  /** For kind 'sip': the whole message as sent or received, and the trace event (addresses, time). */
  message?: string;
  trace?: TraceEvent;
}

export type UmLogSink = (entry: UmLogEntry) => void;

/** `INVITE sip:6000@127.0.0.1:5060` or `302 Moved Temporarily` and the Call-ID of a traced message. */
export function describeTrace(e: TraceEvent): { firstLine: string; callId: string | undefined; text: string } {
  const text = e.bytes.toString('utf8');
  const firstLine = text.slice(0, text.indexOf('\r\n') >= 0 ? text.indexOf('\r\n') : text.length);
  const m = /^(?:call-id|i)[ \t]*:[ \t]*(.+)$/im.exec(text);
  const short = firstLine.startsWith('SIP/2.0 ') ? firstLine.slice(8) : firstLine.replace(/ SIP\/2\.0$/, '');
  return { firstLine: short, callId: m?.[1]?.trim(), text };
}

/** One log entry for a traced SIP message. */
export function traceEntry(role: string, e: TraceEvent): UmLogEntry {
  const d = describeTrace(e);
  const arrow = e.direction === 'in' ? '<-' : '->';
  const peer = `${e.remote.address}:${e.remote.port}`;
  const cseq = /^(?:cseq)[ \t]*:[ \t]*(.+)$/im.exec(d.text)?.[1]?.trim();
  const tail = d.firstLine.startsWith('SIP') || /^\d{3} /.test(d.firstLine) ? ` (${cseq ?? ''})` : '';
  return {
    kind: 'sip',
    role,
    line: `${arrow} ${peer} ${e.protocol.toUpperCase()} ${d.firstLine}${/^\d{3} /.test(d.firstLine) ? tail : ''}`,
    message: d.text,
    trace: e,
  };
}

/** Format an entry as a printable line: `[worker] menu: prompt enter-pin`. */
export function formatEntry(entry: UmLogEntry, verbose: boolean): string {
  const head = `[${entry.role}] ${entry.kind === 'sip' ? 'sip' : entry.kind}: ${entry.line}`;
  if (!verbose || !entry.message) return head;
  return `${head}\n${entry.message.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n').map((l) => `    ${l}`).join('\n')}`;
}
