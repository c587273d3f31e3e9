/**
 * An established INVITE dialog (either side): what happens inside the call at the SIP level.
 * - BYE either way (RFC 3261 §15); OPTIONS answered 200 (§11.2); a re-INVITE or UPDATE from the peer
 *   (hold/resume, session refresh, RFC 3261 §14.2 and RFC 3311) answered through the application's
 *   offer handler; INFO (DTMF relay), NOTIFY and REFER handed to the application; anything else 501.
 * - Session timers (RFC 4028): the interval of the 2xx is honoured; when we are the refresher we send a
 *   re-INVITE with the same SDP at half the interval; when the peer is and no refresh comes, we send BYE
 *   before the session expires (§10).
 * - As UAC it re-sends the ACK for each retransmitted 2xx (§13.2.2.4); as UAS it retransmits its 2xx until
 *   the ACK arrives on unreliable transports and gives up with a BYE after 64·T1 (§13.3.1.4).
 */
import type { TimerHandle } from '../../util/clock.js';
import {
  createResponse, getContentType, getCSeq, getSessionExpires,
  type SipRequest, type SipResponse,
} from '../message/index.js';
import type { TransportProtocol } from '../transport/transport.js';
import type { IncomingRequest, Target } from '../transaction/endpoint.js';
import type { Dialog } from './dialog.js';
import { SUPPORTED, type RequestOutcome, type UserAgent } from './user-agent.js';

export type SessionEndReason =
  | { by: 'local'; status?: number }
  | { by: 'remote'; request: 'BYE' | 'CANCEL' }
  | { by: 'timeout'; what: string }
  | { by: 'error'; message: string };

/** The application's answer to an offer in a re-INVITE or UPDATE. */
export type OfferAnswer = { body: Buffer; contentType: string } | { reject: number; reason?: string };

/** The application's answer to a REFER: a status, or a status and headers for the response. */
export type ReferAnswer = number | { status: number; headers?: Array<[string, string]> };

export interface SessionHandlers {
  /** The peer's re-INVITE/UPDATE with an SDP offer (or none: then give our current SDP as offer). */
  onOffer?(offer: Buffer | undefined, method: 'INVITE' | 'UPDATE'): OfferAnswer;
  /** INFO in the dialog (e.g. application/dtmf-relay): return the status to answer. */
  onInfo?(body: Buffer, contentType: string | undefined): number;
  /**
   * REFER (RFC 3515): return 202 to accept (the application then sends the NOTIFYs), or the status
   * with headers for the response (RFC 4488 §4: a 2xx to `Refer-Sub: false` carries `Refer-Sub: false`).
   */
  onRefer?(req: SipRequest): ReferAnswer;
  /** NOTIFY in the dialog (refer progress, message-summary): return the status. */
  onNotify?(req: SipRequest): number;
  onEnded?(reason: SessionEndReason): void;
}

export interface InviteSessionInit {
  ua: UserAgent;
  dialog: Dialog;
  role: 'uac' | 'uas';
  protocol: TransportProtocol;
  /** Our Contact header value. */
  contact: string;
  /** The SDP we sent last (offer or answer), re-sent on session refreshes. */
  localSdp?: Buffer;
  /** The INVITE's CSeq (for ACK) and the 2xx that established the session. */
  inviteCSeq: number;
  response: SipResponse;
  /** The ACK we sent (UAC), re-sent for retransmitted 2xx. */
  ack?: SipRequest;
}

export class InviteSession {
  readonly dialog: Dialog;
  readonly role: 'uac' | 'uas';
  handlers: SessionHandlers = {};
  private ended: SessionEndReason | undefined;
  private readonly unregister: () => void;
  private refreshTimer: TimerHandle | undefined;
  private localSdp: Buffer | undefined;
  private ack: SipRequest | undefined;
  private readonly endedWaiters: Array<(r: SessionEndReason) => void> = [];

  constructor(private readonly init: InviteSessionInit) {
    this.dialog = init.dialog;
    this.role = init.role;
    this.localSdp = init.localSdp;
    this.ack = init.ack;
    this.unregister = init.ua.registerDialog(this.dialog.callId, this.dialog.localTag, this.dialog.remoteTag, {
      onRequest: (r) => this.onRequest(r),
      onAck: () => undefined,
    });
    this.armSessionTimer(init.response, init.role === 'uac');
  }

  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  /** Resolves when the session ends, whoever ends it. */
  whenEnded(): Promise<SessionEndReason> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.endedWaiters.push(resolve));
  }

  /** The 2xx was retransmitted: our ACK was lost (§13.2.2.4): send it again. */
  resendAck(): void {
    if (this.ack) void this.init.ua.sendStateless(this.ack, this.target()).catch(() => undefined);
  }

  /** Where in-dialog requests go: the first route, else the remote target. */
  target(): Target {
    const first = this.dialog.routeSet[0]?.uri;
    return this.init.ua.targetFor(this.dialog.remoteTarget, this.init.protocol, first);
  }

  /** Hang up: BYE (§15.1.1) and wait for its answer (any final answer, or a timeout, ends the session). */
  async bye(): Promise<RequestOutcome | undefined> {
    if (this.ended) return undefined;
    this.finish({ by: 'local' });
    const req = this.dialog.createRequest('BYE', { headers: [['User-Agent', this.init.ua.userAgent]] });
    return this.init.ua.request(req, this.target(), (seq) => { this.dialog.localSeq = seq; });
  }

  /** Send a request in the dialog (INFO for DTMF, NOTIFY for REFER progress ...). */
  async send(method: string, body?: { body: Buffer; contentType: string }, headers: Array<[string, string]> = []): Promise<RequestOutcome> {
    const opts: Parameters<Dialog['createRequest']>[1] = { headers };
    if (body) {
      opts.body = body.body;
      opts.contentType = body.contentType;
    }
    if (method === 'INVITE' || method === 'UPDATE') opts.contact = this.init.contact;
    const req = this.dialog.createRequest(method, opts);
    return this.init.ua.request(req, this.target(), (seq) => { this.dialog.localSeq = seq; });
  }

  /** The session ended without a BYE of ours (transport lost, media timeout): forget the dialog. */
  abandon(message: string): void {
    this.finish({ by: 'error', message });
  }

  private onRequest(r: IncomingRequest): void {
    const req = r.request;
    const respond = (status: number, reason?: string, extra: Parameters<typeof createResponse>[3] = {}) =>
      r.transaction.respond(createResponse(req, status, reason, extra));
    if (this.dialog.receiveRequest(req) === 500) {
      // §12.2.2: a CSeq lower than the last one is out of order.
      return respond(500, 'Server Internal Error - CSeq out of order', { headers: [['Retry-After', '1']] });
    }
    switch (req.method) {
      case 'BYE':
        respond(200, 'OK');
        return this.finish({ by: 'remote', request: 'BYE' });
      case 'OPTIONS':
        return r.transaction.respond(this.init.ua.optionsResponse(req));
      case 'INVITE':
      case 'UPDATE':
        return this.onOffer(r);
      case 'ACK':
        return;
      case 'INFO': {
        const ct = getContentType(req);
        const status = this.handlers.onInfo?.(req.body, ct ? `${ct.type}/${ct.subtype}` : undefined) ?? 200;
        return respond(status);
      }
      case 'REFER': {
        const answer = this.handlers.onRefer?.(req) ?? 603;
        const { status, headers = [] } = typeof answer === 'number' ? { status: answer } : answer;
        return respond(status, status === 202 ? 'Accepted' : undefined, { headers });
      }
      case 'NOTIFY':
        return respond(this.handlers.onNotify?.(req) ?? 200);
      default:
        // §8.2.1: a method we do not implement gets 501 with Allow... 405 is for known but disallowed ones.
        return respond(501, 'Not Implemented', { headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY']] });
    }
  }

  /** A re-INVITE or UPDATE from the peer: hold/resume, a new offer, or a session refresh. */
  private onOffer(r: IncomingRequest): void {
    const req = r.request;
    const method = req.method as 'INVITE' | 'UPDATE';
    const offer = req.body.length > 0 ? req.body : undefined;
    const answer: OfferAnswer = this.handlers.onOffer?.(offer, method) ??
      (this.localSdp ? { body: this.localSdp, contentType: 'application/sdp' } : { reject: 488 });
    if ('reject' in answer) {
      r.transaction.respond(createResponse(req, answer.reject, answer.reason));
      return;
    }
    this.localSdp = answer.body;
    const headers: Array<[string, string]> = [['Contact', this.init.contact], ['Supported', SUPPORTED]];
    // RFC 4028 §9: answer a refresh with the interval it asked for (the refresher stays who it was).
    const se = safe(() => getSessionExpires(req));
    if (se) headers.push(['Session-Expires', `${se.delta};refresher=${se.refresher ?? 'uac'}`], ['Require', 'timer']);
    const res = createResponse(req, 200, 'OK', { headers, body: answer.body, contentType: answer.contentType });
    r.transaction.respond(res);
    this.armSessionTimer(res, false);
  }

  /** RFC 4028: schedule our refresh (half the interval) or the expiry guard (interval - min(32, interval/3)). */
  private armSessionTimer(res: SipResponse, weSentRequest: boolean): void {
    this.refreshTimer?.cancel();
    const se = safe(() => getSessionExpires(res));
    if (!se || this.ended) return;
    // Who refreshes: refresher=uac means the UAC of the transaction that set the interval (§7.4, §9).
    const weRefresh = (se.refresher ?? 'uac') === (weSentRequest ? 'uac' : 'uas');
    const ms = se.delta * 1000;
    if (weRefresh) {
      this.refreshTimer = this.init.ua.clock.setTimeout(() => void this.refresh(), ms / 2);
    } else {
      this.refreshTimer = this.init.ua.clock.setTimeout(() => {
        if (this.ended) return;
        void this.bye();
        this.finish({ by: 'timeout', what: 'the session timer expired without a refresh (RFC 4028 §10)' });
      }, ms - Math.min(32_000, ms / 3));
    }
  }

  private async refresh(): Promise<void> {
    if (this.ended) return;
    const body = this.localSdp ? { body: this.localSdp, contentType: 'application/sdp' } : undefined;
    const outcome = await this.send('UPDATE', body, [['Supported', SUPPORTED]]);
    if (outcome.kind === 'response' && outcome.response.status >= 200 && outcome.response.status < 300) {
      this.armSessionTimer(outcome.response, true);
    } else if (outcome.kind === 'response' && (outcome.response.status === 405 || outcome.response.status === 501)) {
      const again = await this.send('INVITE', body, [['Supported', SUPPORTED]]);
      if (again.kind === 'response' && again.response.status >= 200 && again.response.status < 300) {
        const ack = this.dialog.createRequest('ACK', { cseq: getCSeq(again.response).seq });
        void this.init.ua.sendStateless(ack, this.target()).catch(() => undefined);
        this.armSessionTimer(again.response, true);
      }
    }
  }

  private finish(reason: SessionEndReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.dialog.state = 'terminated';
    this.refreshTimer?.cancel();
    // Keep answering in-dialog retransmissions briefly (a BYE retransmitted over UDP must get its 200 again,
    // which the server transaction does); the dialog itself is gone.
    this.unregister();
    this.handlers.onEnded?.(reason);
    for (const w of this.endedWaiters.splice(0)) w(reason);
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

