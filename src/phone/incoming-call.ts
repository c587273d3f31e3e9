/**
 * One call the phone answers (the UAS role); the life after the answer is the call core's, the same
 * as a placed call's (call-core.ts).
 *
 *   INVITE (offer) ──ring()──▶ 180 ──answer()──▶ 200 + SDP answer ──ACK──▶ media
 *                  └──reject(486)/488 (no common codec, with Warning)   CANCEL before 200 ──▶ 487
 *
 * An INVITE without SDP (delayed offer, RFC 3261 §13.2.1) gets our offer in the 200 and its answer
 * is taken from the ACK.
 *
 *   listener.onCall(async (call) => { await call.answer({ record: 'in.wav' }); ... });
 */
import {
  formatUri, getCallId, getContentType, getFrom, getTo, headerValues, reasonPhrase, type SipRequest,
} from '../sip/message/index.js';
import type { IncomingRequest } from '../sip/transaction/endpoint.js';
import type { MessageSource } from '../sip/transport/transport.js';
import type { UserAgent } from '../sip/dialog/user-agent.js';
import { IncomingInvite } from '../sip/dialog/incoming-invite.js';
import {
  LocalSdpSession, NoCommonCodecError, SdpCryptoError, createAnswer, negotiate, type NegotiatedAudio, type TelephoneEventOptions,
} from '../sdp/index.js';
import { CallSrtp, decideSrtpAnswer } from './call-srtp.js';
import type { MediaSocket } from './media-session.js';
import { CallActions } from './call-actions.js';
import type { CallCoreContext } from './call-core.js';
import type { CallMediaOptions, CallSummary, RedirectHop } from './call-types.js';
import type { CallEndReason } from './end-reason.js';
import { waitForAck } from './ack-body.js';

/** How to answer (all optional). */
export interface AnswerOptions extends CallMediaOptions {
  /** RFC 4733 events we accept; false: none. Default the offer's payload type with events 0-16. */
  telephoneEvent?: TelephoneEventOptions | false;
  /** Extra headers for the 200 OK. */
  headers?: Array<[string, string]>;
}

/** What an incoming call needs from its phone. */
export interface IncomingCallContext extends CallCoreContext {
  ua: UserAgent;
}

let requestOf: (call: IncomingCall) => SipRequest;

/** The INVITE as received, for the UM server (it reads Diversion and History-Info); not public API. */
export function incomingRequest(call: IncomingCall): SipRequest {
  return requestOf(call);
}

export class IncomingCall extends CallActions {
  /** Where the INVITE came from (protocol, address, port; the local address it arrived at). */
  readonly source: MessageSource;
  readonly callId: string;
  /** The caller's URI (From) and display name. */
  readonly from: string;
  readonly fromName: string | undefined;
  /** The To URI and the Request-URI (the number dialled). */
  readonly to: string;
  readonly requestUri: string;
  /** Diversion header values, newest first (what a voicemail server reads to pick the mailbox). */
  readonly diversion: string[];
  /**
   * Why the offer cannot be answered (no common codec, or SRTP: an RTP/SAVP offer with SRTP off, a bad or
   * missing a=crypto under the `srtp` option), checked on arrival; undefined when it can.
   */
  readonly offerProblem: string | undefined;
  /** The Warning header value of the 488 for offerProblem. */
  private offerWarning: string | undefined;
  readonly #request: SipRequest;
  private readonly ua: UserAgent;
  private readonly invite: IncomingInvite;
  private readonly offer: Buffer | undefined;
  private answering = false;
  private answerOptions: AnswerOptions;

  static {
    requestOf = (c) => c.#request;
  }

  constructor(ctx: IncomingCallContext, incoming: IncomingRequest, options: AnswerOptions = {}) {
    super(ctx, 'ringing', options);
    this.ua = ctx.ua;
    this.answerOptions = options;
    const req = incoming.request;
    this.#request = req;
    this.source = incoming.source;
    this.callId = getCallId(req);
    const from = getFrom(req);
    this.from = formatUri(from.uri);
    this.fromName = from.displayName ?? undefined;
    this.to = formatUri(getTo(req).uri);
    this.requestUri = req.uri;
    this.diversion = headerValues(req, 'Diversion');
    this.offer = req.body.length > 0 && isSdp(req) ? req.body : undefined;
    const refusal = this.checkOffer(options);
    this.offerProblem = refusal?.problem;
    this.offerWarning = refusal?.warning;
    this.invite = new IncomingInvite(ctx.ua, incoming, incoming.source.protocol);
    void this.invite.whenCancelled().then(() => {
      this.final = { status: 487, reason: 'Request Terminated' };
      this.finish({ kind: 'cancelled', by: 'remote' });
    });
  }

  /** 180 Ringing (RFC 3261 §13.3.1.1). */
  ring(): void {
    if (this.state !== 'ringing') return;
    this.invite.ring();
    this.emit({ type: 'provisional', status: 180, reason: 'Ringing' });
  }

  /**
   * Answer: 200 OK with our SDP answer on a fresh RTP port, then media (the `answered` promise). An
   * offer without a common codec is answered 488 with a Warning (RFC 3261 §20.43, code 305) and
   * `answered` rejects (end kind 'no-codec'); a CANCEL that wins the race rejects it too ('cancelled').
   */
  async answer(options: AnswerOptions = {}): Promise<void> {
    if (this.answering || this.state !== 'ringing') return this.answered;
    this.answering = true;
    const o: AnswerOptions = { ...this.answerOptions, ...options };
    this.answerOptions = o;
    this.options = o;
    // The answer's options may ask for other codecs or SRTP than the ones the call was created with.
    const refusal = options.codecs || options.srtp || options.srtpSuites ? this.checkOffer(o) : (this.offerProblem ? { problem: this.offerProblem, warning: this.offerWarning!, srtp: false } : undefined);
    if (refusal) {
      const end = refusal.srtp
        ? { kind: 'srtp' as const, by: 'local' as const, status: 488, message: `cannot answer: ${refusal.problem}` }
        : { kind: 'no-codec' as const, by: 'local' as const, status: 488, message: `cannot answer: ${refusal.problem}` };
      this.refuse(488, 'Not Acceptable Here', [['Warning', refusal.warning]], end);
      return this.answered;
    }
    const srtp = new CallSrtp({ mode: o.srtp ?? 'off', ...(o.srtpSuites ? { suites: o.srtpSuites } : {}) });
    this.srtp = srtp;
    let socket: MediaSocket;
    try {
      socket = await this.ctx.openSocket((raw) => srtp.wrap(raw));
    } catch (e) {
      this.refuse(500, 'Server Internal Error', [['Retry-After', '5']], { kind: 'error', message: `cannot answer: ${(e as Error).message}` });
      return this.answered;
    }
    // A CANCEL may have arrived while the socket opened.
    if (this.state !== 'ringing') {
      void socket.close();
      return this.answered;
    }
    this.socket = socket;
    const answerCrypto = srtp.answerHook();
    const local = new LocalSdpSession({
      address: this.ctx.mediaAddress, port: socket.rtpPort, codecs: o.codecs ?? ['PCMU', 'PCMA'],
      ...(o.telephoneEvent !== undefined ? { telephoneEvent: o.telephoneEvent } : {}),
      // A delayed offer is ours: it carries the SRTP offer; an answer takes the hook.
      ...srtp.offerOptions(), ...(answerCrypto ? { answerCrypto } : {}),
    });
    this.sdp = local;
    let body: string;
    let negotiated: NegotiatedAudio | undefined;
    if (this.offer) {
      const a = local.answer(this.offer);
      body = a.sdp;
      negotiated = a.audio;
    } else {
      body = local.offer();
    }
    const session = this.invite.accept({ body: Buffer.from(body), contentType: 'application/sdp' }, o.headers ?? []);
    if (!session) {
      void socket.close();
      return this.answered;
    }
    this.final = { status: 200, reason: 'OK' };
    this.wireSession(session);
    this.markAnswered();
    if (negotiated) {
      this.startMedia(negotiated);
      this.mediaAnswered(negotiated);
    } else {
      // Delayed offer: the answer comes in the ACK (RFC 3261 §13.2.1); none, or an unusable one, ends the call.
      const ourOffer = Buffer.from(body);
      void waitForAck(this.ua, session.dialog).then((ack) => {
        if (this.state !== 'answered' || this.media) return;
        try {
          if (!ack || ack.body.length === 0) throw new Error('the ACK carried no SDP answer');
          const audio = negotiate(ourOffer, ack.body);
          srtp.acceptAnswer(ack.body, audio.mediaIndex);
          this.startMedia(audio);
          this.mediaAnswered(audio);
        } catch (e) {
          this.emit({ type: 'warning', message: `delayed offer: ${(e as Error).message}` });
          void this.hangup();
        }
      });
    }
    return this.answered;
  }

  /** Refuse the call: 486 Busy Here by default, or 403, 480, 603 ...; with extra response headers. */
  reject(options: { status?: number; reason?: string; headers?: Array<[string, string]> } = {}): void {
    const status = options.status ?? 486;
    const phrase = options.reason ?? reasonPhrase(status);
    const end: CallEndReason = status === 488 || status === 606
      ? { kind: 'no-codec', by: 'local', status, message: `rejected with ${status} ${phrase}` }
      : { kind: 'rejected', by: 'local', status, reason: phrase };
    this.refuse(status, options.reason, options.headers ?? [], end);
  }

  /** Hang up: 480 Temporarily Unavailable before the answer, BYE after. Resolves with the summary. */
  async hangup(): Promise<CallSummary> {
    if (this.state === 'ringing') {
      if (this.answering) await this.answered.catch(() => undefined);
      else this.reject({ status: 480, reason: 'Temporarily Unavailable' });
    }
    if (this.state === 'answered') await this.endByBye({ kind: 'hangup', by: 'local' });
    return this.ended;
  }

  /** The same summary as a placed call's: target is the Request-URI, redirects is empty. */
  protected summaryTarget(): { target: string; redirects: RedirectHop[] } {
    return { target: this.requestUri, redirects: [] };
  }

  // ---------------------------------------------------------------------------------------------------

  /** Whether the offer can be answered under `o` (a dry run of the answer): the problem and the 488's Warning. */
  private checkOffer(o: AnswerOptions): { problem: string; warning: string; srtp: boolean } | undefined {
    if (!this.offer) return undefined;
    const host = this.ctx.mediaAddress;
    const mode = o.srtp ?? 'off';
    try {
      createAnswer(this.offer, {
        address: host, port: 9, codecs: o.codecs ?? ['PCMU', 'PCMA'],
        ...(mode !== 'off' ? {
          answerCrypto: (m) => {
            const d = decideSrtpAnswer(mode, o.srtpSuites, m);
            return d === 'plain' ? undefined : d.crypto;
          },
        } : {}),
      });
      return undefined;
    } catch (e) {
      // RFC 3261 §20.43: 305 for a media format we do not speak, 399 (miscellaneous) for the crypto's reason.
      if (e instanceof SdpCryptoError) return { problem: e.warning, warning: e.warningHeader(host), srtp: true };
      const problem = e instanceof NoCommonCodecError ? e.message : `the offer cannot be read: ${(e as Error).message}`;
      return { problem, warning: `305 ${host} "Incompatible media format: ${problem.replace(/["\\]/g, "'")}"`, srtp: false };
    }
  }

  private refuse(status: number, reason: string | undefined, headers: Array<[string, string]>, end: CallEndReason): void {
    if (this.state !== 'ringing') return;
    this.invite.reject(status, reason, headers);
    this.final = { status, reason: reason ?? reasonPhrase(status) };
    this.finish(end);
  }
}

function isSdp(m: SipRequest): boolean {
  try {
    const ct = getContentType(m);
    return ct !== undefined && `${ct.type}/${ct.subtype}`.toLowerCase() === 'application/sdp';
  } catch {
    return false;
  }
}
