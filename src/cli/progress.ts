/**
 * Progress lines while a call is set up and runs: the first INVITE, each redirect hop ("→ 302 Moved
 * Temporarily, following to sip:680@10.0.0.9:5065;transport=Tcp"), ringing, the answer with its codec
 * and elapsed time, digits as they arrive, warnings, and how the call ended. Pure and line-oriented:
 * a call event (plus the time since the INVITE) in, zero or more lines out.
 */
import type { CallEvent } from '../phone/call-types.js';
import { describeEnd } from '../phone/end-reason.js';
import { formatSeconds } from './summary.js';

export class ProgressFormatter {
  private pendingRedirect: { status: number; reason: string; targets: string[] } | undefined;
  private lastProvisional: number | undefined;

  /** The lines one event prints; `elapsedMs` is the time since the first INVITE. */
  format(e: CallEvent, elapsedMs: number): string[] {
    switch (e.type) {
      case 'attempt': {
        const q = e.q !== undefined ? ` (q=${e.q})` : '';
        const r = this.pendingRedirect;
        if (e.depth === 0 && !r) return [`Calling ${e.uri}${q}`];
        this.pendingRedirect = undefined;
        this.lastProvisional = undefined;
        if (r) {
          return [`→ ${r.status}${r.reason ? ` ${r.reason}` : ''}, following to ${e.uri}${q}`];
        }
        // No redirect in between: the previous target failed (timeout, 5xx) and the next one is tried.
        return [`→ trying the next target ${e.uri}${q}`];
      }
      case 'redirect':
        this.pendingRedirect = { status: e.status, reason: e.reason, targets: e.targets };
        return [];
      case 'provisional': {
        // 100 Trying is hop-by-hop and says nothing about the callee (RFC 3261 §21.1.1).
        if (e.status === 100 || e.status === this.lastProvisional) return [];
        this.lastProvisional = e.status;
        const what = e.status === 180 ? 'ringing' : e.status === 183 ? 'session progress' : 'progress';
        return [`… ${e.status} ${e.reason} (${what})`];
      }
      case 'answered':
        return [`✓ answered: ${e.status}, codec ${e.codec}, RTP to ${e.remote} (after ${formatSeconds(elapsedMs)})`];
      case 'digit':
        return [`◀ DTMF ${e.digit.digit} received (${e.digit.method}${e.digit.durationMs > 0 ? `, ${Math.round(e.digit.durationMs)} ms` : ''})`];
      case 'warning':
        return [`! warning: ${e.message}`];
      case 'ended':
        return [`call ended: ${describeEnd(e.end)}`];
      default:
        return this.formatOther(e);
    }
  }

  /** Mid-call events that newer phone versions add (transfer, voicemail, hold): one line each. */
  private formatOther(e: CallEvent): string[] {
    const x = e as { type: string; onHold?: boolean; transfer?: { target?: string }; summary?: { waiting?: boolean; voice?: { newMessages: number; oldMessages: number } } };
    switch (x.type) {
      case 'hold':
        return [x.onHold ? '‖ the far end put the call on hold' : '▶ the far end resumed the call'];
      case 'transfer':
        return [`↪ the far end asks to transfer the call to ${x.transfer?.target ?? '?'} (REFER)`];
      case 'voicemail': {
        const v = x.summary?.voice;
        return [`✉ message waiting: ${x.summary?.waiting ? 'yes' : 'no'}${v ? ` (${v.newMessages} new, ${v.oldMessages} old)` : ''}`];
      }
      default:
        return [];
    }
  }
}
