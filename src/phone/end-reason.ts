/**
 * How a call ended, as data: a discriminated union the call core sets once, in one place, and every
 * consumer switches on (the CLI's exit code, the script report, the summary line). The human sentences
 * are derived from it here and nowhere else, so no layer ever parses a sentence back.
 */
import type { SessionEndReason } from '../sip/dialog/invite-session.js';
import type { InviteOutcome } from '../sip/dialog/outgoing-invite.js';
import { RedirectError } from '../sip/dialog/target-set.js';
import { TransportError } from '../sip/transport/transport.js';
import { tlsFailureOf, type TlsFailure } from '../sip/transport/tls-failure.js';

/** Who did it: our side or the far end. */
export type EndedBy = 'local' | 'remote';

export type CallEndReason =
  /** A BYE ended an answered call (ours: `hangup()`; theirs: the far end hung up). */
  | { kind: 'hangup'; by: EndedBy }
  /** Ended before the answer by CANCEL: ours (`hangup()` while ringing) or the caller's. */
  | { kind: 'cancelled'; by: EndedBy }
  /** A final non-2xx answer to the INVITE: from the far end, or our `reject()`. */
  | { kind: 'rejected'; by: EndedBy; status: number; reason: string }
  /** The 3xx chain could not be followed: a loop, more than `maxRedirects`, no usable Contact. */
  | { kind: 'redirect'; problem: 'loop' | 'limit' | 'empty'; status: number; message: string }
  /** No codec in common: a 488/606 from the far end, an answer we cannot use, an offer we cannot answer. */
  | { kind: 'no-codec'; by: EndedBy; status?: number; message: string }
  /** SRTP could not be agreed (the `srtp` option): an answer without a usable key, an offer refused for one. */
  | { kind: 'srtp'; by: EndedBy; status?: number; message: string }
  /** A SIP timer ran out: 'B' (no final response to the INVITE), 'session' (RFC 4028 session timer). */
  | { kind: 'timeout'; timer: 'B' | 'session'; message: string }
  /** The SIP transport failed (connection refused or reset, a TLS certificate or handshake failure: `tls`). */
  | { kind: 'transport'; message: string; tls?: TlsFailure }
  /** No RTP arrived for `after` milliseconds while answered: we sent BYE. */
  | { kind: 'media-timeout'; after: number }
  /** Anything else that ended it (the dialog was abandoned, a media socket could not be opened). */
  | { kind: 'error'; message: string };

export type CallEndKind = CallEndReason['kind'];

/** The short "ended by" text of a summary: "remote (BYE)", "486 Busy Here", "media timeout (no RTP for 30 s)". */
export function describeEnd(end: CallEndReason): string {
  switch (end.kind) {
    case 'hangup':
      return `${end.by} (BYE)`;
    case 'cancelled':
      return `${end.by} (CANCEL)`;
    case 'rejected':
      return end.by === 'remote' ? statusText(end.status, end.reason) : `local (${statusText(end.status, end.reason)})`;
    case 'redirect':
    case 'no-codec':
    case 'srtp':
    case 'transport':
      return end.message;
    case 'timeout':
      return end.timer === 'B' ? end.message : `timeout (${end.message})`;
    case 'media-timeout':
      return `media timeout (no RTP for ${end.after / 1000} s)`;
    case 'error':
      return `error (${end.message})`;
  }
}

/** The sentence of the CallFailedError a call that could not be set up rejects `answered` with. */
export function failureMessage(end: CallEndReason): string {
  switch (end.kind) {
    case 'cancelled':
      return end.by === 'local' ? 'the call was cancelled before it was answered' : 'the caller cancelled the call before it was answered';
    case 'rejected':
      return end.by === 'remote' ? statusText(end.status, end.reason) : `rejected with ${statusText(end.status, end.reason)}`;
    case 'timeout':
    case 'error':
      return end.message;
    case 'hangup':
      return `the call was hung up (${end.by}) before it was answered`;
    default:
      return describeEnd(end);
  }
}

/** Whether the end is a failure of an answered call (the CLI's "something failed during it"). */
export function isMidCallFailure(end: CallEndReason): boolean {
  switch (end.kind) {
    case 'media-timeout':
    case 'timeout':
    case 'transport':
    case 'error':
      return true;
    case 'hangup':
    case 'cancelled':
    case 'rejected':
    case 'redirect':
    case 'no-codec':
    case 'srtp':
      return false;
  }
}

/** The end of an established dialog (invite-session.ts) as a call end. */
export function endOfSession(reason: SessionEndReason): CallEndReason {
  switch (reason.by) {
    case 'local':
      return { kind: 'hangup', by: 'local' };
    case 'remote':
      return reason.request === 'BYE' ? { kind: 'hangup', by: 'remote' } : { kind: 'cancelled', by: 'remote' };
    case 'timeout':
      return { kind: 'timeout', timer: 'session', message: reason.what };
    case 'error':
      return { kind: 'error', message: reason.message };
  }
}

/**
 * An INVITE that was not answered, as a call end: a 3xx chain gone wrong, Timer B or a transport error
 * on the last target (OutgoingInvite reports those as 408/503 without a response), 488/606, or a
 * plain rejection.
 */
export function endOfUnanswered(outcome: Exclude<InviteOutcome, { kind: 'answered' }>): CallEndReason {
  if (outcome.kind === 'cancelled') return { kind: 'cancelled', by: 'local' };
  // A transport error's own words are in the 503's reason already ("Service Unavailable (transport: ...)").
  const message = outcome.error && !(outcome.error instanceof TransportError) ? outcome.error.message : statusText(outcome.status, outcome.reason);
  if (outcome.error instanceof RedirectError) return { kind: 'redirect', problem: outcome.error.kind, status: outcome.status, message };
  if (!outcome.response && outcome.status === 408) return { kind: 'timeout', timer: 'B', message };
  if (!outcome.response && outcome.status === 503) return transportEnd(outcome.error, message);
  if (outcome.status === 488 || outcome.status === 606) return { kind: 'no-codec', by: 'remote', status: outcome.status, message };
  return { kind: 'rejected', by: 'remote', status: outcome.status, reason: outcome.reason };
}

/** A transport end; a TLS failure is named in one sentence: "TLS to 10.0.0.5:5061: the server's certificate has expired". */
function transportEnd(error: unknown, message: string): CallEndReason {
  const tls = tlsFailureOf(error);
  if (!tls) return { kind: 'transport', message };
  const where = error instanceof TransportError ? ` to ${error.target.address}:${error.target.port}` : '';
  return { kind: 'transport', message: `TLS${where}: ${tls.text}`, tls };
}

function statusText(status: number, reason: string): string {
  return reason ? `${status} ${reason}` : String(status);
}
