/**
 * The exit codes of `umphone`: what a CI job or a shell script branches on. They are part of the public
 * interface (documented in `umphone --help`), so they never change meaning once released.
 *
 * The SIP outcome of a call maps onto them (RFC 3261 §21): a busy callee (486 Busy Here, 600 Busy
 * Everywhere) and an offer nobody can answer (488 / 606 Not Acceptable, RFC 3264 §6) get codes of their
 * own, because those are the outcomes a test of a voice server most often expects.
 */
import type { CallEndReason } from '../phone/end-reason.js';

export const ExitCode = {
  /** The call was placed, answered and ended normally (or the command did what it was asked). */
  ok: 0,
  /** The call was set up but something failed during it (media timeout, lost transport, a DTMF failure). */
  callFailed: 1,
  /** Bad usage: an unknown option, a bad value, an unreadable file. One line on stderr, nothing on stdout. */
  usage: 2,
  /** Rejected by the far end (4xx, 5xx, 6xx other than those below). */
  rejected: 3,
  /** Busy: 486 Busy Here or 600 Busy Everywhere. */
  busy: 4,
  /** No common codec: 488 Not Acceptable Here or 606 Not Acceptable, or an unusable answer (SRTP included). */
  noCodec: 5,
  /** Redirect problem: a loop, too many redirects, or a 3xx that cannot be followed. */
  redirect: 6,
  /** Timeout or no answer: 408 Request Timeout, Timer B (no response at all). */
  timeout: 7,
  /** Transport error: connection refused or reset, 503 Service Unavailable. */
  transport: 8,
  /** Interrupted (Ctrl-C, SIGINT, SIGTERM) before the call was answered: the INVITE was cancelled. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The exit code for how a call ended: 0 for a hangup after the answer, a code of its own for each way
 * a call fails to be set up, 1 for a failure of an answered call (media timeout, session timer, lost
 * transport).
 */
export function exitCodeForEnd(end: CallEndReason, answered: boolean): ExitCodeValue {
  switch (end.kind) {
    case 'hangup':
      return ExitCode.ok;
    case 'cancelled':
      return ExitCode.interrupted;
    case 'rejected':
      return exitCodeForStatus(end.status);
    case 'redirect':
      return ExitCode.redirect;
    case 'no-codec':
    case 'srtp':
      // SRTP that could not be agreed is media that could not be agreed, like a 488 to the offer.
      return ExitCode.noCodec;
    case 'timeout':
      return answered ? ExitCode.callFailed : ExitCode.timeout;
    case 'transport':
      return answered ? ExitCode.callFailed : ExitCode.transport;
    case 'media-timeout':
    case 'error':
      return ExitCode.callFailed;
  }
}

/** A final response that ended the INVITE without an answer. */
export function exitCodeForStatus(status: number | undefined): ExitCodeValue {
  if (status === undefined) return ExitCode.rejected;
  if (status === 486 || status === 600) return ExitCode.busy;
  if (status === 488 || status === 606) return ExitCode.noCodec;
  if (status === 408) return ExitCode.timeout;
  if (status === 503) return ExitCode.transport;
  // A 3xx that ended the call is one the target set could not follow (305, 380, no usable Contact).
  if (status >= 300 && status < 400) return ExitCode.redirect;
  return ExitCode.rejected;
}

/** The table printed at the end of `umphone --help` and `umphone call --help`. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    call completed (answered and ended normally)',
  '  1    the call was set up but something failed during it (e.g. no RTP: media timeout)',
  '  2    bad usage: unknown option, bad value, unreadable file',
  '  3    rejected by the far end (4xx/5xx/6xx other than below)',
  '  4    busy (486, 600)',
  '  5    no common codec (488, 606), or SRTP could not be agreed',
  '  6    redirect problem (loop, too many redirects)',
  '  7    timeout / no answer (408, Timer B)',
  '  8    transport error (connection refused or reset, 503)',
  '  130  interrupted before the answer (Ctrl-C: CANCEL sent)',
].join('\n');
