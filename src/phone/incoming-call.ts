/**
 * One call the phone answers: the UAS counterpart of Call (same events, summary and media surface).
 *
 *   INVITE (offer) ──ring()──▶ 180 ──answer()──▶ 200 + SDP answer ──ACK──▶ media
 *                  └──reject(486)/488 (no common codec, with Warning)   CANCEL before 200 ──▶ 487
 *
 * In the call: a re-INVITE or UPDATE is answered from the same local SDP session (hold: the peer's
 * sendonly/inactive gets recvonly/inactive and the media session stops sending; resume restores it,
 * RFC 3264 §8.4), INFO DTMF is fed to the media session, REFER is accepted and reported as a
 * 'transfer' event (refer.ts), a message-summary NOTIFY is reported as 'voicemail'. A BYE from the
 * peer, hangup(), a lost ACK (64·T1) or an RTP timeout ends it; recordings are finalized and `ended`
 * resolves with the summary.
 *
 * An INVITE without SDP (delayed offer, RFC 3261 §13.2.1) gets our offer in the 200 and its answer
 * is taken from the ACK.
 *
 *   listener.onCall(async (call) => { call.ring(); await call.answer({ record: 'in.wav' }); ... });
 */
import type { Clock } from '../util/clock.js';
import {
  formatUri, getCallId, getContentType, getFrom, getTo, headerValues, type SipRequest,
} from '../sip/message/index.js';
import type { IncomingRequest } from '../sip/transaction/endpoint.js';
import type { MessageSource } from '../sip/transport/transport.js';
import type { UserAgent } from '../sip/dialog/user-agent.js';
import { IncomingInvite } from '../sip/dialog/incoming-invite.js';
import type { InviteSession, OfferAnswer, SessionEndReason } from '../sip/dialog/invite-session.js';
import {
  LocalSdpSession, NoCommonCodecError, createAnswer, negotiate,
  type AudioCodecName, type NegotiatedAudio, type TelephoneEventOptions,
} from '../sdp/index.js';
import type { Pacer } from '../rtp/pacer.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import type { MediaSocket } from './media-session.js';
import { CallFailedError, type CallEvent, type CallState, type CallSummary } from './call.js';
import { answerReoffer, CallMediaControls, endedByText, infoDtmfStatus, mediaSummary, startCallMedia, watchRtp, type CallMediaOptions } from './call-media.js';
import { handleRefer } from './refer.js';
import { messageSummaryNotifyStatus } from './message-summary.js';
import { waitForAck } from './ack-body.js';

/** How to answer (all optional). */
export interface AnswerOptions extends CallMediaOptions {
  /** Codecs we accept, in preference order (the offer's order decides among them). Default PCMU, PCMA. */
  codecs?: AudioCodecName[];
  /** RFC 4733 events we accept; false: none. Default the offer's payload type with events 0-16. */
  telephoneEvent?: TelephoneEventOptions | false;
  /** Record what the caller says to this WAV (from the answer on). */
  record?: string;
  /** Stereo recording: left = received, right = sent. */
  recordBoth?: boolean;
  /** Play this into the call once answered. */
  play?: PlaybackAudio;
  loop?: boolean;
  /** End the call when no RTP arrives for this long (ms). Default 30 000; 0 = never. */
  rtpTimeoutMs?: number;
  /** Extra headers for the 200 OK. */
  headers?: Array<[string, string]>;
}

/** What an incoming call needs from the phone. */
export interface IncomingCallContext {
  ua: UserAgent;
  pacer: Pacer;
  /** Our address for the SDP c= line (never 0.0.0.0). */
  mediaAddress: string;
  openSocket(): Promise<MediaSocket>;
}

export class IncomingCall extends CallMediaControls {
  state: CallState = 'ringing';
  readonly request: SipRequest;
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
  /** Why the offer cannot be answered (no common codec), checked on arrival; undefined when it can. */
  readonly offerProblem: string | undefined;
  readonly answered: Promise<void>;
  readonly ended: Promise<CallSummary>;
  session: InviteSession | undefined;
  private readonly invite: IncomingInvite;
  private readonly clock: Clock;
  private readonly offer: Buffer | undefined;
  private sdp: LocalSdpSession | undefined;
  private socket: MediaSocket | undefined;
  private options: AnswerOptions;
  private readonly listeners = new Set<(e: CallEvent) => void>();
  private resolveEnded!: (s: CallSummary) => void;
  private resolveAnswered!: () => void;
  private rejectAnswered!: (e: Error) => void;
  private readonly startedAt: number;
  private answeredAt: number | undefined;
  private endedAt: number | undefined;
  private endedBy: string | undefined;
  private status: number | undefined;
  private reason: string | undefined;
  private stopRtpWatch: () => void = () => undefined;
  private answering = false;

  constructor(private readonly ctx: IncomingCallContext, incoming: IncomingRequest, options: AnswerOptions = {}) {
    super();
    this.clock = ctx.ua.clock;
    this.options = options;
    this.request = incoming.request;
    this.source = incoming.source;
    this.startedAt = this.clock.now();
    this.ended = new Promise((r) => { this.resolveEnded = r; });
    this.answered = new Promise((res, rej) => { this.resolveAnswered = res; this.rejectAnswered = rej; });
    this.answered.catch(() => undefined);
    const req = incoming.request;
    this.callId = getCallId(req);
    const from = getFrom(req);
    this.from = formatUri(from.uri);
    this.fromName = from.displayName ?? undefined;
    this.to = formatUri(getTo(req).uri);
    this.requestUri = req.uri;
    this.diversion = headerValues(req, 'Diversion');
    this.offer = req.body.length > 0 && isSdp(req) ? req.body : undefined;
    this.offerProblem = this.checkOffer();
    this.invite = new IncomingInvite(ctx.ua, incoming, incoming.source.protocol);
    void this.invite.whenCancelled().then(() => {
      this.status = 487;
      this.reason = 'Request Terminated';
      this.fail('the caller cancelled the call before it was answered', 'cancelled', 487, 'remote (CANCEL)');
    });
  }

  onEvent(listener: (e: CallEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** 180 Ringing (RFC 3261 §13.3.1.1). */
  ring(): void {
    if (this.state !== 'ringing') return;
    this.invite.ring();
    this.emit({ type: 'provisional', status: 180, reason: 'Ringing' });
  }

  /**
   * Answer: 200 OK with our SDP answer on a fresh RTP port, then media (the `answered` promise). A
   * NoCommonCodecError answers 488 with a Warning (RFC 3261 §20.43, code 305) and rejects with
   * CallFailedError kind 'no-codec'; a CANCEL that wins the race rejects with kind 'cancelled'.
   */
  async answer(options: AnswerOptions = {}): Promise<void> {
    if (this.answering || this.state !== 'ringing') return this.answered;
    this.answering = true;
    this.options = { ...this.options, ...options };
    const o = this.options;
    if (this.offerProblem) {
      const warning = `305 ${this.ctx.mediaAddress} "Incompatible media format: ${this.offerProblem.replace(/["\\]/g, "'")}"`;
      this.refuse(488, 'Not Acceptable Here', [['Warning', warning]], `cannot answer: ${this.offerProblem}`, 'no-codec');
      return this.answered;
    }
    let socket: MediaSocket;
    try {
      socket = await this.ctx.openSocket();
    } catch (e) {
      this.refuse(500, 'Server Internal Error', [['Retry-After', '5']], `cannot answer: ${(e as Error).message}`, 'transport');
      return this.answered;
    }
    // A CANCEL may have arrived while the socket opened.
    if (this.state !== 'ringing') {
      void socket.close();
      return this.answered;
    }
    this.socket = socket;
    const local = new LocalSdpSession({
      address: this.ctx.mediaAddress, port: socket.rtpPort, codecs: o.codecs ?? ['PCMU', 'PCMA'],
      ...(o.telephoneEvent !== undefined ? { telephoneEvent: o.telephoneEvent } : {}),
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
    this.session = session;
    this.status = 200;
    this.reason = 'OK';
    this.answeredAt = this.clock.now();
    this.state = 'answered';
    this.wireSession(session);
    if (negotiated) {
      this.startMedia(negotiated);
    } else {
      // Delayed offer: the answer comes in the ACK (RFC 3261 §13.2.1); none, or an unusable one, ends the call.
      const ourOffer = Buffer.from(body);
      void waitForAck(this.ctx.ua, session.dialog).then((ack) => {
        if (this.state !== 'answered' || this.media) return;
        try {
          if (!ack || ack.body.length === 0) throw new Error('the ACK carried no SDP answer');
          this.startMedia(negotiate(ourOffer, ack.body));
        } catch (e) {
          this.emit({ type: 'warning', message: `delayed offer: ${(e as Error).message}` });
          void this.hangup();
        }
      });
    }
    this.resolveAnswered();
    return this.answered;
  }

  /** Refuse the call (486 Busy Here by default, 403, 480, 603 ...). */
  reject(status = 486, reason?: string, headers: Array<[string, string]> = []): void {
    this.refuse(status, reason, headers, `rejected with ${status}${reason ? ` ${reason}` : ''}`, status === 488 ? 'no-codec' : 'rejected');
  }

  /** Hang up: 480 Temporarily Unavailable before the answer, BYE after. Resolves with the summary. */
  async hangup(): Promise<CallSummary> {
    if (this.state === 'ringing') {
      if (this.answering) await this.answered.catch(() => undefined);
      else this.reject(480, 'Temporarily Unavailable');
    }
    if (this.state === 'answered' && this.session) {
      this.state = 'ending';
      const bye = this.session.bye();
      this.finish('local (BYE)');
      await bye;
    }
    return this.ended;
  }




  /** The same summary as Call's: target is the Request-URI, redirects is empty. */
  summary(): CallSummary {
    const now = this.endedAt ?? this.clock.now();
    const s: CallSummary = {
      target: this.requestUri,
      callId: this.callId,
      state: this.state,
      redirects: [],
      durationMs: this.answeredAt !== undefined ? now - this.answeredAt : 0,
      dtmf: { sent: [...(this.media?.digitsSent ?? [])], received: [...(this.media?.digitsReceived ?? [])] },
      recordings: this.recordings.map((r) => r.path),
    };
    if (this.status !== undefined) s.status = this.status;
    if (this.reason !== undefined) s.reason = this.reason;
    if (this.answeredAt !== undefined) s.answeredAtMs = this.answeredAt - this.startedAt;
    if (this.endedBy) s.endedBy = this.endedBy;
    if (this.media) Object.assign(s, mediaSummary(this.media));
    return s;
  }

  // ---------------------------------------------------------------------------------------------------

  private checkOffer(): string | undefined {
    if (!this.offer) return undefined;
    try {
      createAnswer(this.offer, { address: this.ctx.mediaAddress, port: 9, codecs: this.options.codecs ?? ['PCMU', 'PCMA'] });
      return undefined;
    } catch (e) {
      if (e instanceof NoCommonCodecError) return e.message;
      return `the offer cannot be read: ${(e as Error).message}`;
    }
  }

  private startMedia(negotiated: NegotiatedAudio): void {
    const o = this.options;
    this.media = startCallMedia({
      clock: this.clock,
      pacer: this.ctx.pacer,
      socket: this.socket!,
      negotiated,
      options: o,
      onDigit: (digit) => this.emit({ type: 'digit', digit }),
      warn: (message) => this.emit({ type: 'warning', message }),
      sendInfo: (body, contentType) => void this.session?.send('INFO', { body, contentType }),
    });
    this.emit({ type: 'answered', status: 200, codec: negotiated.codec.name, remote: `${negotiated.remoteRtp.address}:${negotiated.remoteRtp.port}` });
    if (o.record) this.record(o.record, { stereo: o.recordBoth ?? false });
    if (o.play) void this.media.play(o.play, { loop: o.loop ?? false });
    this.stopRtpWatch = watchRtp(this.clock, o.rtpTimeoutMs ?? 30_000, () => this.media, () => this.state === 'answered', () => {
      const secs = (o.rtpTimeoutMs ?? 30_000) / 1000;
      this.emit({ type: 'warning', message: `no RTP received for ${secs} s: hanging up` });
      void this.session?.bye();
      this.finish(`media timeout (no RTP for ${secs} s)`);
    });
  }

  private wireSession(session: InviteSession): void {
    session.handlers = {
      onEnded: (reason) => this.onSessionEnded(reason),
      onOffer: (offer) => this.onReoffer(offer),
      onInfo: (body, contentType) => infoDtmfStatus(this.media, body, contentType, this.clock.now() - this.startedAt),
      onNotify: (req) => messageSummaryNotifyStatus(req, (summary) => this.emit({ type: 'voicemail', summary })),
      onRefer: (req) => handleRefer(session, req, (transfer) => this.emit({ type: 'transfer', transfer })),
    };
  }

  /** A re-INVITE/UPDATE: answered from our SDP session (answerReoffer); media starts or follows. */
  private onReoffer(offer: Buffer | undefined): OfferAnswer {
    return answerReoffer(this.sdp, offer, (audio) => {
      if (this.media) this.media.update(audio);
      else if (this.state === 'answered') this.startMedia(audio);
      this.emit({ type: 'hold', onHold: audio.onHold });
    });
  }

  private onSessionEnded(reason: SessionEndReason): void {
    this.finish(endedByText(reason));
  }

  private refuse(status: number, reason: string | undefined, headers: Array<[string, string]>, message: string, kind: 'rejected' | 'no-codec' | 'transport'): void {
    if (this.state !== 'ringing') return;
    this.invite.reject(status, reason, headers);
    this.status = status;
    if (reason !== undefined) this.reason = reason;
    this.fail(message, kind, status, `local (${status})`);
  }

  private fail(message: string, kind: 'rejected' | 'no-codec' | 'cancelled' | 'transport', status: number, endedBy: string): void {
    if (this.state === 'ended') return;
    this.finish(endedBy);
    this.rejectAnswered(new CallFailedError(message, kind, status, this.summary()));
  }

  private finish(endedBy: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endedBy = endedBy;
    this.endedAt = this.clock.now();
    this.stopRtpWatch();
    this.media?.stop();
    void this.socket?.close();
    this.emit({ type: 'ended', reason: endedBy });
    this.resolveEnded(this.summary());
  }

  private emit(e: CallEvent): void {
    for (const l of this.listeners) l(e);
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
