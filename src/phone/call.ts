/**
 * One call placed by the phone (the UAC role): builds the INVITE and its offer, follows the outcome.
 *
 *   INVITE (offer) ──3xx──▶ next target ... ──18x──▶ ringing (early media if SDP) ──2xx──▶ media
 *   hangup(): CANCEL before the answer, BYE after; a BYE from the peer, a media timeout or a lost
 *   transport end it too (call-core.ts). Whatever ends it, recordings are finalized and `ended`
 *   resolves with the summary (SIP outcome, redirect chain, RTP statistics, DTMF both ways).
 */
import type { UserAgent } from '../sip/dialog/user-agent.js';
import { formatUri, getContentType, nameAddr, type SipResponse, type SipUri } from '../sip/message/index.js';
import { OutgoingInvite, type InviteOutcome } from '../sip/dialog/outgoing-invite.js';
import type { TargetAttempt } from '../sip/dialog/target-set.js';
import type { TransportProtocol } from '../sip/transport/transport.js';
import { LocalSdpSession, negotiate, type NegotiatedAudio } from '../sdp/index.js';
import { CallActions } from './call-actions.js';
import type { CallCoreContext } from './call-core.js';
import type { CallMediaOptions, CallSummary, RedirectHop } from './call-types.js';
import { endOfUnanswered } from './end-reason.js';
import { diversionHeaders, historyInfoHeaders } from './call-headers.js';

export interface CallOptions extends CallMediaOptions {
  /**
   * Write the call's packets to this pcap file: SIP (from the first INVITE, redirects included), RTP and
   * RTCP as sent and received, real addresses and ports (call-capture.ts). `{callid}` becomes the Call-ID.
   */
  pcap?: string;
  /** Our user part (From and Contact). Default "umphone". */
  from?: string;
  /** Display name in From. */
  name?: string;
  /** To URI or user part; default the target. */
  to?: string;
  /** Diverting numbers, newest first (RFC 5806 Diversion, or History-Info with historyInfo). */
  diversion?: string[];
  diversionReason?: string;
  historyInfo?: boolean;
  maxRedirects?: number;
  /** Extra headers for the INVITE. */
  headers?: Array<[string, string]>;
  /** RFC 4028 session interval we ask for, in milliseconds (sent in whole seconds); 0 = none. Default 1 800 000 (30 min). */
  sessionExpires?: number;
}

/** What a placed call needs from its phone. */
export interface CallContext extends CallCoreContext {
  ua: UserAgent;
  /** Transport for targets that name none. */
  protocol: TransportProtocol;
}

export class Call extends CallActions {
  /** The target dialled. */
  readonly target: string;
  private readonly uri: SipUri;
  private readonly ua: UserAgent;
  private readonly protocol: TransportProtocol;
  private invite: OutgoingInvite | undefined;
  private offer: Buffer | undefined;
  private attempts: TargetAttempt[] = [];

  /** Placed at once (Phone.dial makes it): `answered` and `ended` tell how it goes. */
  constructor(ctx: CallContext, target: SipUri, private readonly callOptions: CallOptions = {}) {
    super(ctx, 'calling', callOptions);
    this.ua = ctx.ua;
    this.protocol = ctx.protocol;
    this.uri = target;
    this.target = formatUri(target);
    void this.start().catch((e: Error) => this.finish({ kind: 'error', message: e.message }));
  }

  get callId(): string {
    return this.invite?.callId ?? '';
  }

  /** Hang up: CANCEL before the answer, BYE after. Resolves with the summary once the call has ended. */
  async hangup(): Promise<CallSummary> {
    if (this.state === 'calling' || this.state === 'ringing') {
      this.moveTo('ending');
      if (this.invite) this.invite.cancel();
      else this.finish({ kind: 'cancelled', by: 'local' });
    } else if (this.state === 'answered') {
      await this.endByBye({ kind: 'hangup', by: 'local' });
    }
    return this.ended;
  }

  protected summaryTarget(): { target: string; redirects: RedirectHop[] } {
    const redirects = (this.invite?.targets.attempts ?? this.attempts).map((a) => {
      const hop: RedirectHop = { uri: formatUri(a.uri), depth: a.depth };
      if (a.q !== undefined) hop.q = a.q;
      if (a.status !== undefined) hop.status = a.status;
      if (a.reason !== undefined) hop.reason = a.reason;
      return hop;
    });
    return { target: this.target, redirects };
  }

  // ---------------------------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const o = this.callOptions;
    this.socket = await this.ctx.openSocket((raw) => this.srtp.wrap(raw));
    // hangup() before the socket opened: nothing was sent.
    if (this.state === 'ended') return void this.socket.close();
    const answerCrypto = this.srtp.answerHook();
    this.sdp = new LocalSdpSession({
      address: this.ctx.mediaAddress, port: this.socket.rtpPort, codecs: o.codecs ?? ['PCMU', 'PCMA'], ptime: 20,
      ...this.srtp.offerOptions(), ...(answerCrypto ? { answerCrypto } : {}),
    });
    this.offer = Buffer.from(this.sdp.offer());
    const host = this.uri.host;
    const fromUser = o.from ?? 'umphone';
    const localHost = this.ctx.mediaAddress.includes(':') ? `[${this.ctx.mediaAddress}]` : this.ctx.mediaAddress;
    const from = nameAddr(/^sips?:/.test(fromUser) ? fromUser : `sip:${fromUser}@${localHost}`, o.name);
    const toUri = o.to ? (/^sips?:/.test(o.to) ? o.to : `sip:${o.to}@${host}`) : formatUri({ ...this.uri, params: this.uri.params.clone(), headers: [] });
    const to = nameAddr(toUri);
    to.uri.params.delete('transport');
    to.uri.params.delete('maddr');
    const headers: Array<[string, string]> = [];
    const div = o.diversion ?? [];
    if (div.length > 0) {
      headers.push(...(o.historyInfo ? historyInfoHeaders(div, this.uri, o.diversionReason) : diversionHeaders(div, host, o.diversionReason)));
    }
    const se = Math.ceil((o.sessionExpires ?? 1_800_000) / 1000);
    if (se > 0) headers.push(['Session-Expires', String(se)], ['Min-SE', '90']);
    headers.push(...(o.headers ?? []));
    this.invite = new OutgoingInvite({
      ua: this.ua,
      target: this.uri,
      protocol: this.protocol,
      from,
      to,
      contactUser: fromUser.replace(/^sips?:([^@]*)@.*$/, '$1'),
      headers,
      offer: { body: this.offer, contentType: 'application/sdp' },
      maxRedirects: o.maxRedirects ?? 5,
      onAttempt: (a) => this.emit({ type: 'attempt', uri: formatUri(a.uri), ...(a.q !== undefined ? { q: a.q } : {}), depth: a.depth }),
      onProvisional: (res) => this.onProvisional(res),
      onRedirect: (res, added) => this.emit({ type: 'redirect', status: res.status, reason: res.reason, targets: added.map((t) => formatUri(t.uri)) }),
      onInviteSent: () => this.quality.inviteSent(),
      onInviteResponse: (res) => this.quality.inviteResponse(res.status),
    });
    const outcome = await this.invite.start();
    this.attempts = outcome.attempts;
    this.onOutcome(outcome);
  }

  private onProvisional(res: SipResponse): void {
    if (this.state === 'calling') this.moveTo('ringing');
    this.emit({ type: 'provisional', status: res.status, reason: res.reason });
    // Early media (RFC 3960): a 183 with SDP starts the media before the answer.
    if (res.body.length > 0 && !this.media && isSdp(res) && this.state !== 'ended') {
      try {
        const early = negotiate(this.offer!, res.body);
        this.srtp.acceptAnswer(res.body, early.mediaIndex);
        this.startMedia(early);
      } catch (e) {
        this.emit({ type: 'warning', message: `early media ignored: ${(e as Error).message}` });
      }
    }
  }

  private onOutcome(outcome: InviteOutcome): void {
    if (outcome.kind !== 'answered') {
      const res = outcome.kind === 'failed' ? outcome.response : undefined;
      if (res) this.final = { status: res.status, reason: res.reason };
      return this.finish(endOfUnanswered(outcome));
    }
    const res = outcome.response;
    this.final = { status: res.status, reason: res.reason };
    if (this.state === 'ending') {
      // hangup() came after the 2xx was settled but before this ran: too late to CANCEL, so BYE.
      void outcome.session.bye();
      return this.finish({ kind: 'cancelled', by: 'local' });
    }
    this.wireSession(outcome.session);
    let negotiated: NegotiatedAudio;
    try {
      negotiated = negotiate(this.offer!, res.body);
    } catch (e) {
      // RFC 3261 §13.2.2.4 / RFC 3264: the ACK was sent; an unusable answer ends the call with BYE.
      // Finish first: the BYE reports the session's own end at once, and the first reason given is kept.
      this.finish({ kind: 'no-codec', by: 'local', status: res.status, message: `the answer cannot be used: ${(e as Error).message}` });
      return void outcome.session.bye();
    }
    try {
      this.srtp.acceptAnswer(res.body, negotiated.mediaIndex);
    } catch (e) {
      // The same for SRTP: no usable key (mandatory), or a key we cannot use. No media is sent.
      this.finish({ kind: 'srtp', by: 'local', status: res.status, message: `SRTP: ${(e as Error).message}` });
      return void outcome.session.bye();
    }
    this.startMedia(negotiated);
    this.markAnswered();
    this.mediaAnswered(negotiated);
  }
}

function isSdp(m: SipResponse): boolean {
  try {
    const ct = getContentType(m);
    return ct !== undefined && `${ct.type}/${ct.subtype}`.toLowerCase() === 'application/sdp';
  } catch {
    return false;
  }
}
