/**
 * The one-line status shown at the bottom of an interactive call and redrawn in place (carriage return
 * plus "erase line", ECMA-48 EL 2): call state, elapsed time, digits sent and received, RTP packets
 * both ways and lost. Progress lines printed meanwhile clear it first and redraw it after. Pure.
 */
import type { CallState } from '../phone/call-types.js';

export interface StatusSnapshot {
  state: CallState;
  /** Since the INVITE went out, or since the answer once answered (ms). */
  elapsedMs: number;
  digitsSent: string;
  digitsReceived: string;
  rtp?: { sent: number; received: number; lost: number };
  muted: boolean;
}

/** "mm:ss", or "h:mm:ss" past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** Keep the tail of a long digit string (the latest digits are the interesting ones). */
function tail(digits: string, max: number): string {
  return digits.length <= max ? digits : `…${digits.slice(-(max - 1))}`;
}

/** The status text, cut to `width` columns (no control characters). */
export function formatStatusLine(s: StatusSnapshot, width = 80): string {
  const parts = [
    `[${s.state}] ${formatElapsed(s.elapsedMs)}`,
    `sent: ${s.digitsSent === '' ? '-' : tail(s.digitsSent, 16)}`,
    `recv: ${s.digitsReceived === '' ? '-' : tail(s.digitsReceived, 16)}`,
  ];
  if (s.rtp) parts.push(`RTP ↑${s.rtp.sent} ↓${s.rtp.received} lost ${s.rtp.lost}`);
  if (s.muted) parts.push('MUTED');
  parts.push('? keys');
  const text = parts.join(' · ');
  const max = Math.max(10, width - 1); // never write into the last column: some terminals wrap there
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Erase the current line and put the cursor at its start. */
export const CLEAR_LINE = '\r\u001b[2K';
