/**
 * Placing a call as a UAC (RFC 3261 §8.1, §13.2): INVITE with an offer, provisional responses reported,
 * 3xx followed through a TargetSet (same Call-ID and From tag, new branch and CSeq per target,
 * §8.1.3.4), 401/407 answered once per target with digest credentials (§22.2), 2xx → dialog + ACK to
 * the remote target with the route set (§13.2.2.4), CANCEL on request (§9.1) — sent only once a
 * provisional response has arrived, as §9.1 requires — and a 2xx that races a CANCEL gets ACK + BYE.
 * A timeout (Timer B), a transport error or a 408/5xx from one target moves on to the next target of the
 * set, if any; other final responses end the attempt.
 */
import { UmphoneError } from '../../util/errors.js';
import {
  createRequest, formatNameAddr, getCSeq, getContacts, getTo, randomCallId, randomTag,
  type Contact, type NameAddr, type SipRequest, type SipResponse, type SipUri,
} from '../message/index.js';
import type { TransportError, TransportProtocol } from '../transport/transport.js';
import { normalizeAddress } from '../transport/via-processing.js';
import type { Target } from '../transaction/endpoint.js';
import type { ClientTransaction } from '../transaction/layer.js';
import { Dialog } from './dialog.js';
import { InviteSession } from './invite-session.js';
import { RedirectError, TargetSet, nextHop, type TargetAttempt } from './target-set.js';
import { ALLOW, SUPPORTED, type UserAgent } from './user-agent.js';

export interface OutgoingInviteOptions {
  ua: UserAgent;
  /** The first Request-URI. */
  target: SipUri;
  /** Transport for targets that do not name one. */
  protocol: TransportProtocol;
  from: NameAddr;
  to: NameAddr;
  /** User part of our Contact. */
  contactUser?: string;
  /** Diversion, History-Info, Session-Expires, ... in order. */
  headers?: Array<[string, string]>;
  offer?: { body: Buffer; contentType: string };
  maxRedirects?: number;
  /** Reports, in order. */
  onProvisional?(res: SipResponse): void;
  onAttempt?(attempt: TargetAttempt, request: SipRequest): void;
  onRedirect?(res: SipResponse, added: TargetAttempt[]): void;
  /** Every INVITE sent (first, after a redirect, with credentials) and every response to one: post-dial delay. */
  onInviteSent?(req: SipRequest): void;
  onInviteResponse?(res: SipResponse): void;
}

export type InviteOutcome =
  | { kind: 'answered'; session: InviteSession; response: SipResponse; attempts: TargetAttempt[] }
  | { kind: 'failed'; status: number; reason: string; response?: SipResponse; attempts: TargetAttempt[]; error?: UmphoneError }
  | { kind: 'cancelled'; attempts: TargetAttempt[] };

export class InviteFailure extends UmphoneError {
  constructor(message: string, code: string) {
    super(message, code);
  }
}

export class OutgoingInvite {
  readonly callId: string;
  readonly fromTag = randomTag();
  readonly targets: TargetSet;
  private cseq = Math.floor(Math.random() * 1000) + 1;
  private current: { req: SipRequest; tx: ClientTransaction; target: Target; provisional: boolean; authTried: boolean } | undefined;
  private cancelRequested = false;
  private cancelSent = false;
  private settle!: (o: InviteOutcome) => void;
  private settled = false;
  readonly outcome: Promise<InviteOutcome>;
  private stopConnectionErrors: (() => void) | undefined;
  private lastFailure: { status: number; reason: string; response?: SipResponse; error?: UmphoneError } | undefined;

  constructor(private readonly opts: OutgoingInviteOptions) {
    const local = opts.ua.endpoint.transport(opts.protocol)?.local.address ?? '127.0.0.1';
    this.callId = randomCallId(local.includes(':') ? `[${local}]` : local);
    this.targets = new TargetSet(opts.target, opts.maxRedirects ?? 5);
    this.outcome = new Promise((resolve) => { this.settle = resolve; });
  }

  /** Send the first INVITE; `outcome` resolves with the result. */
  start(): Promise<InviteOutcome> {
    this.stopConnectionErrors = this.opts.ua.endpoint.onTransportError((e) => this.onConnectionError(e));
    this.tryNext();
    return this.outcome;
  }

  /**
   * Give up on the call (Ctrl-C before the answer): CANCEL once a provisional has arrived (§9.1),
   * else as soon as one does; the INVITE then ends with 487 and the outcome is 'cancelled'.
   */
  cancel(): void {
    if (this.settled || this.cancelRequested) return;
    this.cancelRequested = true;
    if (this.current?.provisional) this.sendCancel();
  }

  private tryNext(): void {
    if (this.cancelRequested) return this.finish({ kind: 'cancelled', attempts: this.targets.attempts });
    const attempt = this.targets.next();
    if (!attempt) {
      const f = this.lastFailure ?? { status: 408, reason: 'No target answered' };
      return this.finish({ kind: 'failed', ...f, attempts: this.targets.attempts });
    }
    let hop;
    try {
      hop = nextHop(attempt.uri, this.opts.protocol);
    } catch (e) {
      this.targets.record(416, (e as Error).message);
      this.lastFailure = { status: 416, reason: (e as Error).message, error: e as UmphoneError };
      return this.tryNext();
    }
    const target: Target = { protocol: hop.protocol, address: hop.address, port: hop.port };
    const req = this.buildInvite(attempt.uri, target);
    this.opts.onAttempt?.(attempt, req);
    this.send(req, target, false);
  }

  private buildInvite(uri: SipUri, target: Target): SipRequest {
    const protocol = target.protocol;
    const { ua, offer } = this.opts;
    const from = { ...this.opts.from, params: this.opts.from.params.clone().set('tag', this.fromTag) };
    const headers: Array<[string, string]> = [
      ['Max-Forwards', '70'],
      ['From', formatNameAddr(from)],
      ['To', formatNameAddr(this.opts.to)],
      ['Call-ID', this.callId],
      ['CSeq', `${this.cseq++} INVITE`],
      ['Contact', ua.contact(protocol, this.opts.contactUser, target)],
      ['Allow', ALLOW],
      ['Supported', SUPPORTED],
      ['User-Agent', ua.userAgent],
      ...(this.opts.headers ?? []),
    ];
    const init: Parameters<typeof createRequest>[0] = { method: 'INVITE', uri, headers };
    if (offer) {
      init.body = offer.body;
      init.contentType = offer.contentType;
    }
    return createRequest(init);
  }

  private send(req: SipRequest, target: Target, authTried: boolean): void {
    const state = { req, target, provisional: false, authTried, tx: undefined as unknown as ClientTransaction };
    this.current = state;
    this.opts.onInviteSent?.(req);
    state.tx = this.opts.ua.endpoint.request(req, target, {
      onResponse: (res) => this.onResponse(state, res),
      onTimeout: () => this.onNoAnswer(state, 408, 'Request Timeout (no response: Timer B)'),
      onTransportError: (e) => this.onNoAnswer(state, 503, `Service Unavailable (transport: ${e.message})`, e),
    });
  }

  /**
   * The connection to the current target failed after the send succeeded (TLS 1.3 servers send
   * "certificate required" after the client's handshake is done; a reset): no response will come.
   */
  private onConnectionError(e: TransportError): void {
    const state = this.current;
    if (!state || state.provisional || state.target.protocol !== e.protocol) return;
    if (e.target.port !== state.target.port || normalizeAddress(e.target.address) !== normalizeAddress(state.target.address)) return;
    this.onNoAnswer(state, 503, `Service Unavailable (transport: ${e.message})`, e);
  }

  private onNoAnswer(state: NonNullable<OutgoingInvite['current']>, status: number, reason: string, error?: TransportError): void {
    if (this.current !== state || this.settled) return;
    this.targets.record(status, reason);
    this.lastFailure = { status, reason, ...(error ? { error } : {}) };
    this.tryNext();
  }

  private onResponse(state: NonNullable<OutgoingInvite['current']>, res: SipResponse): void {
    if (this.current === state) this.opts.onInviteResponse?.(res);
    if (res.status < 200) {
      if (this.current !== state) return;
      state.provisional = true;
      this.opts.onProvisional?.(res);
      if (this.cancelRequested && !this.cancelSent) this.sendCancel();
      return;
    }
    if (res.status < 300) return this.onSuccess(state, res);
    if (this.current !== state || this.settled) return;
    this.targets.record(res.status, res.reason);
    if (this.cancelRequested) return this.finish({ kind: 'cancelled', attempts: this.targets.attempts });
    if (res.status >= 300 && res.status < 400) {
      const contacts = safeContacts(res);
      try {
        const added = this.targets.redirect(contacts);
        this.opts.onRedirect?.(res, added);
      } catch (e) {
        if (!(e instanceof RedirectError)) throw e;
        return this.finish({ kind: 'failed', status: res.status, reason: e.message, response: res, attempts: this.targets.attempts, error: e });
      }
      return this.tryNext();
    }
    if ((res.status === 401 || res.status === 407) && !state.authTried) {
      const retry = this.opts.ua.withAuthorization(state.req, res);
      if (retry) {
        this.cseq = getCSeq(retry).seq + 1;
        return this.send(retry, state.target, true);
      }
    }
    this.lastFailure = { status: res.status, reason: res.reason, response: res };
    // A timeout or server failure at one target: the set may hold another (RFC 3261 §16.7-like recursion).
    if (res.status === 408 || (res.status >= 500 && res.status < 600 && res.status !== 580)) return this.tryNext();
    this.finish({ kind: 'failed', status: res.status, reason: res.reason, response: res, attempts: this.targets.attempts });
  }

  private session: InviteSession | undefined;

  private onSuccess(state: NonNullable<OutgoingInvite['current']>, res: SipResponse): void {
    // A retransmitted 2xx of the session we have: our ACK was lost (§13.2.2.4).
    if (this.session && getTo(res).params.get('tag') === this.session.dialog.remoteTag) return this.session.resendAck();
    let dialog: Dialog;
    try {
      dialog = Dialog.fromResponse(state.req, res);
    } catch (e) {
      this.targets.record(res.status, res.reason);
      return this.finish({ kind: 'failed', status: 502, reason: (e as Error).message, response: res, attempts: this.targets.attempts });
    }
    const ack = dialog.createRequest('ACK', { cseq: getCSeq(state.req).seq });
    for (const name of ['Authorization', 'Proxy-Authorization']) {
      const v = state.req.headers.get(name);
      if (v) ack.headers.set(name, v);
    }
    const session = new InviteSession({
      ua: this.opts.ua, dialog, role: 'uac', protocol: state.target.protocol,
      contact: this.opts.ua.contact(state.target.protocol, this.opts.contactUser, state.target),
      ...(this.opts.offer ? { localSdp: this.opts.offer.body } : {}),
      inviteCSeq: getCSeq(state.req).seq, response: res, ack,
    });
    session.resendAck();
    if (this.settled || this.session) {
      // A second 2xx (forking) or one that raced our CANCEL: ACK it, then hang it up (§15, §9.1).
      void session.bye();
      if (!this.settled) this.finish({ kind: 'cancelled', attempts: this.targets.attempts });
      return;
    }
    this.targets.record(res.status, res.reason);
    if (this.cancelRequested) {
      void session.bye();
      return this.finish({ kind: 'cancelled', attempts: this.targets.attempts });
    }
    this.session = session;
    this.finish({ kind: 'answered', session, response: res, attempts: this.targets.attempts });
  }

  /** §9.1: CANCEL copies Request-URI, Call-ID, To, From, CSeq number and the top Via of the INVITE. */
  private sendCancel(): void {
    const cur = this.current;
    if (!cur || this.cancelSent) return;
    this.cancelSent = true;
    const inv = cur.req;
    const headers: Array<[string, string]> = [['Via', inv.headers.get('Via')!]];
    for (const name of ['Route']) for (const v of inv.headers.getLines(name)) headers.push([name, v]);
    headers.push(
      ['Max-Forwards', '70'],
      ['From', inv.headers.get('From')!],
      ['To', inv.headers.get('To')!],
      ['Call-ID', inv.headers.get('Call-ID')!],
      ['CSeq', `${getCSeq(inv).seq} CANCEL`],
      ['User-Agent', this.opts.ua.userAgent],
    );
    const cancel = createRequest({ method: 'CANCEL', uri: inv.uri, headers });
    void this.opts.ua.request(cancel, cur.target).then((o) => {
      // If the CANCEL got no answer, the INVITE transaction still ends by Timer B; report it now.
      if (o.kind !== 'response' && !this.settled) this.finish({ kind: 'cancelled', attempts: this.targets.attempts });
    });
  }

  private finish(o: InviteOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.stopConnectionErrors?.();
    this.settle(o);
  }
}

function safeContacts(res: SipResponse): Contact[] {
  try {
    const c = getContacts(res);
    return c === '*' ? [] : c;
  } catch {
    return [];
  }
}
