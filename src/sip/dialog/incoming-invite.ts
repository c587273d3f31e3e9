/**
 * Answering a call as a UAS (RFC 3261 §13.3): 180 Ringing, then a 2xx with our SDP answer (or a
 * failure), the 2xx retransmitted on unreliable transports until the ACK arrives (T1 doubling up to T2,
 * §13.3.1.4) and a BYE if it never does (64·T1); a CANCEL before the answer gets 200 and the INVITE 487
 * (§9.2); the application learns of it through `cancelled`.
 */
import type { TimerHandle } from '../../util/clock.js';
import { createResponse, getCSeq, randomTag, type SipRequest, type SipResponse } from '../message/index.js';
import type { IncomingRequest } from '../transaction/endpoint.js';
import type { TransportProtocol } from '../transport/transport.js';
import { Dialog } from './dialog.js';
import { InviteSession } from './invite-session.js';
import { ALLOW, SUPPORTED, type UserAgent } from './user-agent.js';

export type IncomingState = 'ringing' | 'answered' | 'rejected' | 'cancelled';

export class IncomingInvite {
  readonly request: SipRequest;
  readonly localTag = randomTag();
  state: IncomingState = 'ringing';
  private readonly cancelWaiters: Array<() => void> = [];

  constructor(private readonly ua: UserAgent, private readonly r: IncomingRequest, private readonly protocol: TransportProtocol) {
    this.request = r.request;
    ua.pendingInvites.set(r.transaction, (cancel) => this.onCancel(cancel));
  }

  /** Resolves if the caller CANCELs before we answer. */
  whenCancelled(): Promise<void> {
    if (this.state === 'cancelled') return Promise.resolve();
    return new Promise((resolve) => this.cancelWaiters.push(resolve));
  }

  /** 180 Ringing (or 183 with early media when a body is given). */
  ring(body?: { body: Buffer; contentType: string }): void {
    if (this.state !== 'ringing') return;
    const opts: Parameters<typeof createResponse>[3] = { toTag: this.localTag, headers: [...this.recordRoute(), ['Contact', this.contact()]] };
    if (body) {
      opts.body = body.body;
      opts.contentType = body.contentType;
    }
    this.r.transaction.respond(createResponse(this.request, body ? 183 : 180, body ? 'Session Progress' : 'Ringing', opts));
  }

  /** Refuse the call: 486, 488 (with Warning), 403, 480 ... */
  reject(status: number, reason?: string, headers: Array<[string, string]> = []): void {
    if (this.state !== 'ringing') return;
    this.state = 'rejected';
    this.ua.pendingInvites.delete(this.r.transaction);
    this.r.transaction.respond(createResponse(this.request, status, reason, { toTag: this.localTag, headers }));
  }

  /** Answer 200 OK with `answer`; resolves to the session once answered (the ACK may still be on its way). */
  accept(answer: { body: Buffer; contentType: string }, headers: Array<[string, string]> = []): InviteSession | undefined {
    if (this.state !== 'ringing') return undefined;
    this.state = 'answered';
    this.ua.pendingInvites.delete(this.r.transaction);
    const res = createResponse(this.request, 200, 'OK', {
      toTag: this.localTag,
      headers: [...this.recordRoute(), ['Contact', this.contact()], ['Allow', ALLOW], ['Supported', SUPPORTED], ['Server', this.ua.userAgent], ...headers],
      body: answer.body,
      contentType: answer.contentType,
    });
    const dialog = Dialog.fromRequest(this.request, this.localTag);
    const session = new InviteSession({
      ua: this.ua, dialog, role: 'uas', protocol: this.protocol, contact: this.contact(), localSdp: answer.body,
      inviteCSeq: getCSeq(this.request).seq, response: res,
    });
    this.r.transaction.respond(res);
    this.retransmitUntilAck(res, session);
    return session;
  }

  /**
   * §12.1.1: a response that establishes a dialog (18x with a To tag, 2xx) carries the request's
   * Record-Route values, unchanged and in order, so that the caller's route set takes the proxies too.
   */
  private recordRoute(): Array<[string, string]> {
    return this.request.headers.getLines('Record-Route').map((line): [string, string] => ['Record-Route', line]);
  }

  /** Our Contact as the caller reaches us: the address its INVITE arrived at (user-agent.ts). */
  private contact(): string {
    return this.ua.contact(this.protocol, undefined, this.r.source);
  }

  /**
   * §13.3.1.4: the UAS core retransmits the 2xx (the transaction does not) at T1, 2·T1 ... capped at T2,
   * until the ACK; without an ACK after 64·T1 the session is ended with a BYE. Over TCP one send is
   * enough: the ACK wait still applies.
   */
  private retransmitUntilAck(res: SipResponse, session: InviteSession): void {
    const unreliable = this.protocol === 'udp';
    let interval = 500;
    let elapsed = 0;
    let timer: TimerHandle | undefined;
    let acked = false;
    const stopAck = this.ua.registerAckWaiter(session.dialog, () => {
      acked = true;
      timer?.cancel();
      stopAck();
    });
    const tick = () => {
      if (acked || session.isEnded) return stopAck();
      elapsed += interval;
      if (elapsed >= 32_000) {
        stopAck();
        void session.bye();
        return;
      }
      if (unreliable) void this.ua.endpoint.respondStateless(this.request, res, this.r.source).catch(() => undefined);
      interval = unreliable ? Math.min(interval * 2, 4000) : interval;
      timer = this.ua.clock.setTimeout(tick, interval);
    };
    timer = this.ua.clock.setTimeout(tick, interval);
  }

  private onCancel(cancel: IncomingRequest): void {
    cancel.transaction.respond(createResponse(cancel.request, 200, 'OK'));
    if (this.state !== 'ringing') return;
    this.state = 'cancelled';
    this.ua.pendingInvites.delete(this.r.transaction);
    this.r.transaction.respond(createResponse(this.request, 487, 'Request Terminated', { toTag: this.localTag }));
    for (const w of this.cancelWaiters.splice(0)) w();
  }
}
