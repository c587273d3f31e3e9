/**
 * Post-dial delay of an outgoing call: from the first INVITE sent (the moment the user "dialled") to the
 * first ringing or session-progress response (180-189; 100 Trying only says a hop got the request), and
 * to the answer (2xx). It is the Session Request Delay of RFC 6076, measured at the caller, across
 * everything the caller does on the way: a 3xx redirect and the INVITE to the new target (Exchange UM's
 * 302 to a worker), a 401/407 challenge and the INVITE with credentials. The clock starts once.
 *
 * Fed with plain events (request sent, response received) so the call core can drive it from its SIP
 * layer while this file imports no SIP; read with result().
 */

export type SignalEvent =
  | { kind: 'request-sent'; method: string; atMs: number }
  | { kind: 'response-received'; method: string; status: number; atMs: number };

export interface PostDialDelayResult {
  /** First INVITE → first 18x, and → first 2xx (undefined when it never came). */
  toRingingMs: number | undefined;
  toAnswerMs: number | undefined;
  /** First INVITE → the final response that ended the attempt (2xx, or a failure not followed by a retry). */
  toFinalMs: number | undefined;
  finalStatus: number | undefined;
  /** INVITEs sent for this call: 1 plus one per redirect or authentication retry. */
  invites: number;
  redirects: number;
}

export class PostDialDelay {
  private dialMs: number | undefined;
  private ringingMs: number | undefined;
  private answerMs: number | undefined;
  private finalMs: number | undefined;
  private finalStatus: number | undefined;
  private invites = 0;
  private redirects = 0;
  private answered = false;

  on(e: SignalEvent): void {
    if (e.method.toUpperCase() !== 'INVITE') return;
    if (e.kind === 'request-sent') {
      // A re-INVITE inside the answered call is not dialling again.
      if (this.answered) return;
      this.invites++;
      this.dialMs ??= e.atMs;
      // A new INVITE after a final response means the attempt goes on (redirect, credentials).
      this.finalMs = undefined;
      this.finalStatus = undefined;
      return;
    }
    if (this.dialMs === undefined || this.answered) return;
    const status = e.status;
    if (status >= 180 && status <= 189) {
      this.ringingMs ??= e.atMs;
    } else if (status >= 200 && status <= 299) {
      this.answerMs = e.atMs;
      this.finalMs = e.atMs;
      this.finalStatus = status;
      this.answered = true;
    } else if (status >= 300) {
      if (status <= 399) this.redirects++;
      this.finalMs = e.atMs;
      this.finalStatus = status;
    }
  }

  result(): PostDialDelayResult {
    const since = (t: number | undefined) => (t === undefined || this.dialMs === undefined ? undefined : t - this.dialMs);
    return {
      toRingingMs: since(this.ringingMs),
      toAnswerMs: since(this.answerMs),
      toFinalMs: since(this.finalMs),
      finalStatus: this.finalStatus,
      invites: this.invites,
      redirects: this.redirects,
    };
  }
}
