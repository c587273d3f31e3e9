/**
 * One call placed by the phone: the only place where the SIP dialog, SDP and the media session meet.
 *
 *   INVITE (offer) ──3xx──▶ next target ... ──18x──▶ ringing (early media if SDP) ──2xx──▶ media
 *   hangup(): CANCEL before the answer, BYE after; a BYE from the peer, a media timeout or a lost
 *   transport end it too. Whatever ends it, recordings are finalized and `ended` resolves with the
 *   summary (SIP outcome, redirect chain, RTP statistics, DTMF both ways).
 */
import type { Clock } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import {
  formatUri, getContentType, nameAddr, type SipRequest, type SipResponse, type SipUri,
} from '../sip/message/index.js';
import type { UserAgent } from '../sip/dialog/user-agent.js';
import { OutgoingInvite, type InviteOutcome } from '../sip/dialog/outgoing-invite.js';
import type { InviteSession, OfferAnswer, SessionEndReason } from '../sip/dialog/invite-session.js';
import type { TargetAttempt } from '../sip/dialog/target-set.js';
import { LocalSdpSession, negotiate, type AudioCodecName, type LocalMediaOptions, type NegotiatedAudio } from '../sdp/index.js';
import type { Pacer } from '../rtp/pacer.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import type { AudioInput, AudioOutput } from '../media/device/device.js';
import type { DtmfSettings, MediaSocket } from './media-session.js';
import { answerReoffer, CallMediaControls, endedByText, infoDtmfStatus, mediaSummary, startCallMedia, watchRtp } from './call-media.js';
import { handleRefer, type TransferRequest } from './refer.js';
import { messageSummaryNotifyStatus, type MessageSummary } from './message-summary.js';
import { diversionHeaders, historyInfoHeaders } from './call-headers.js';
import { listenTo, type CallListener, type PromptOptions, type PromptResult, type RecordOptions, type RecordResult, type ToneWaitResult, type WaitResult, type DigitsWaitResult } from './waits.js';

export interface CallOptions {
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
  codecs?: AudioCodecName[];
  dtmf?: DtmfSettings;
  maxRedirects?: number;
  /** Extra headers for the INVITE. */
  headers?: Array<[string, string]>;
  /** Record what the far end says to this WAV. */
  record?: string;
  /** Record stereo: left = received, right = sent. */
  recordBoth?: boolean;
  /** Play this audio into the call once answered. */
  play?: PlaybackAudio;
  loop?: boolean;
  /** Accept RTP from whatever source sends first (symmetric RTP latching). */
  latch?: boolean;
  output?: AudioOutput;
  input?: AudioInput;
  /** RFC 4028 Session-Expires we ask for (seconds); 0 = none. Default 1800. */
  sessionExpires?: number;
  /** End the call when no RTP arrives for this long (ms). Default 30 000; 0 = never. */
  rtpTimeoutMs?: number;
}

/** The context a call needs from its phone. */
export interface CallContext {
  ua: UserAgent;
  clock: Clock;
  pacer: Pacer;
  protocol: 'tcp' | 'udp';
  /** Our address for the SDP c= line. */
  mediaAddress: string;
  openSocket(): Promise<MediaSocket>;
}

export type CallState = 'calling' | 'ringing' | 'answered' | 'ending' | 'ended';

export type CallEvent =
  | { type: 'attempt'; uri: string; q?: number; depth: number }
  | { type: 'provisional'; status: number; reason: string }
  | { type: 'redirect'; status: number; reason: string; targets: string[] }
  | { type: 'answered'; status: number; codec: string; remote: string }
  | { type: 'digit'; digit: DtmfDigitEvent }
  | { type: 'warning'; message: string }
  /** The peer sent REFER (RFC 3515): claim() the transfer to follow it (followTransfer), else it is declined. */
  | { type: 'transfer'; transfer: TransferRequest }
  /** A message-summary NOTIFY (RFC 3842) in the dialog. */
  | { type: 'voicemail'; summary: MessageSummary }
  /** The peer's re-INVITE/UPDATE put us on hold or resumed (RFC 3264 §8.4). */
  | { type: 'hold'; onHold: boolean }
  | { type: 'ended'; reason: string };

export type CallFailureKind = 'rejected' | 'redirect' | 'timeout' | 'transport' | 'no-codec' | 'cancelled';

export class CallFailedError extends UmphoneError {
  constructor(message: string, readonly kind: CallFailureKind, readonly status: number | undefined, readonly summary: CallSummary) {
    super(message, `CALL_${kind.toUpperCase()}`);
  }
}

export interface RedirectHop {
  uri: string;
  q?: number;
  depth: number;
  status?: number;
  reason?: string;
}

export interface CallSummary {
  target: string;
  callId: string;
  state: CallState;
  /** Final SIP status of the INVITE (200, 486 ...), or undefined when none came. */
  status?: number;
  reason?: string;
  redirects: RedirectHop[];
  answeredAtMs?: number;
  durationMs: number;
  endedBy?: string;
  codec?: string;
  remoteRtp?: string;
  rtp?: {
    sent: { packets: number; bytes: number };
    received: { packets: number; lost: number; lossPercent: number; jitterMs: number; duplicates: number; outOfOrder: number };
  };
  dtmf: { sent: DtmfDigitEvent[]; received: DtmfDigitEvent[] };
  recordings: string[];
}

export class Call extends CallMediaControls {
  state: CallState = 'calling';
  readonly target: SipUri;
  readonly ended: Promise<CallSummary>;
  /** Resolves once answered; rejects with CallFailedError when the call could not be set up. */
  readonly answered: Promise<void>;
  session: InviteSession | undefined;
  private invite: OutgoingInvite | undefined;
  private socket: MediaSocket | undefined;
  private offer: Buffer | undefined;
  /** Our side of the SDP (RFC 3264): the offer, then answers to the peer's re-INVITEs with the o= version kept. */
  private sdp: LocalSdpSession | undefined;
  private readonly listeners = new Set<(e: CallEvent) => void>();
  private resolveEnded!: (s: CallSummary) => void;
  private resolveAnswered!: () => void;
  private rejectAnswered!: (e: Error) => void;
  private startedAt: number;
  private answeredAt: number | undefined;
  private endedAt: number | undefined;
  private endedBy: string | undefined;
  private finalResponse: SipResponse | undefined;
  private attempts: TargetAttempt[] = [];
  private stopRtpWatch: () => void = () => undefined;
  private hangupRequested = false;

  constructor(private readonly ctx: CallContext, target: SipUri, readonly options: CallOptions = {}) {
    super();
    this.target = target;
    this.startedAt = ctx.clock.now();
    this.ended = new Promise((r) => { this.resolveEnded = r; });
    this.answered = new Promise((res, rej) => { this.resolveAnswered = res; this.rejectAnswered = rej; });
    this.answered.catch(() => undefined);
  }

  onEvent(listener: (e: CallEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get callId(): string {
    return this.invite?.callId ?? '';
  }

  /** Send the INVITE. Resolves when the call is answered (see `answered`). */
  async start(): Promise<void> {
    const o = this.options;
    this.socket = await this.ctx.openSocket();
    const offerInit: LocalMediaOptions = {
      address: this.ctx.mediaAddress,
      port: this.socket.rtpPort,
      codecs: o.codecs ?? ['PCMU', 'PCMA'],
      ptime: 20,
    };
    this.sdp = new LocalSdpSession(offerInit);
    this.offer = Buffer.from(this.sdp.offer());
    const host = this.target.host;
    const fromUser = o.from ?? 'umphone';
    const localHost = this.ctx.mediaAddress.includes(':') ? `[${this.ctx.mediaAddress}]` : this.ctx.mediaAddress;
    const from = nameAddr(/^sips?:/.test(fromUser) ? fromUser : `sip:${fromUser}@${localHost}`, o.name);
    const toUri = o.to ? (/^sips?:/.test(o.to) ? o.to : `sip:${o.to}@${host}`) : formatUri({ ...this.target, params: this.target.params.clone(), headers: [] });
    const to = nameAddr(toUri);
    to.uri.params.delete('transport');
    to.uri.params.delete('maddr');
    const headers: Array<[string, string]> = [];
    const div = o.diversion ?? [];
    if (div.length > 0) {
      headers.push(...(o.historyInfo ? historyInfoHeaders(div, this.target, o.diversionReason) : diversionHeaders(div, host, o.diversionReason)));
    }
    const se = o.sessionExpires ?? 1800;
    if (se > 0) headers.push(['Session-Expires', String(se)], ['Min-SE', '90']);
    headers.push(...(o.headers ?? []));
    this.invite = new OutgoingInvite({
      ua: this.ctx.ua,
      target: this.target,
      protocol: this.ctx.protocol,
      from,
      to,
      contactUser: fromUser.replace(/^sips?:([^@]*)@.*$/, '$1'),
      headers,
      offer: { body: this.offer, contentType: 'application/sdp' },
      maxRedirects: o.maxRedirects ?? 5,
      onAttempt: (a) => this.emit({ type: 'attempt', uri: formatUri(a.uri), ...(a.q !== undefined ? { q: a.q } : {}), depth: a.depth }),
      onProvisional: (res) => this.onProvisional(res),
      onRedirect: (res, added) => this.emit({ type: 'redirect', status: res.status, reason: res.reason, targets: added.map((t) => formatUri(t.uri)) }),
    });
    const outcome = await this.invite.start();
    this.attempts = outcome.attempts;
    await this.onOutcome(outcome);
    return this.answered;
  }

  /** Hang up: CANCEL before the answer, BYE after. Resolves with the summary once the call has ended. */
  async hangup(): Promise<CallSummary> {
    this.hangupRequested = true;
    if (this.state === 'calling' || this.state === 'ringing') {
      this.invite?.cancel();
      if (!this.invite) this.finish('local (before INVITE)');
    } else if (this.state === 'answered' && this.session) {
      this.state = 'ending';
      const bye = this.session.bye();
      this.finish('local (BYE)');
      await bye;
    }
    return this.ended;
  }




  // ---- waits on what the far end says (waits.ts); the listener starts at the first use ----------

  private ear: CallListener | undefined;

  /** The listener on this call's received audio (VAD, tones, digits), created at the first use. */
  listener(): CallListener {
    this.ear ??= listenTo(this, this.ctx.clock);
    return this.ear;
  }

  waitForSpeech(opts: { timeout?: number } = {}): Promise<WaitResult> {
    return this.listener().waitForSpeech(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {});
  }

  waitForSilence(opts: { min?: number; timeout?: number } = {}): Promise<WaitResult> {
    return this.listener().waitForSilence({ ...(opts.min !== undefined ? { minMs: opts.min } : {}), ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) });
  }

  waitForTone(opts: { frequencies?: number[]; timeout?: number } = {}): Promise<ToneWaitResult> {
    return this.listener().waitForTone({ ...(opts.frequencies ? { frequencies: opts.frequencies } : {}), ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) });
  }

  waitForDtmf(opts: { digits?: string; timeout?: number } = {}): Promise<DigitsWaitResult> {
    return this.listener().waitForDigits({ ...(opts.digits ? { expected: opts.digits } : {}), ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) });
  }

  waitForEnd(opts: { timeout?: number } = {}): Promise<WaitResult> {
    return this.listener().waitForEnd(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {});
  }

  /** Record until silence after speech, a tone, a digit, the end of the call or `maxMs` (see waits.ts). */
  recordUntil(path: string, opts: RecordOptions): Promise<RecordResult> {
    return this.listener().record(path, opts);
  }

  expectPrompt(reference: Int16Array, opts: PromptOptions = {}): Promise<PromptResult> {
    return this.listener().expectPrompt(reference, opts);
  }

  waitForPrompt(reference: Int16Array, opts: PromptOptions = {}): Promise<PromptResult> {
    return this.listener().waitForPrompt(reference, opts);
  }

  summary(): CallSummary {
    const now = this.endedAt ?? this.ctx.clock.now();
    const s: CallSummary = {
      target: formatUri(this.target),
      callId: this.callId,
      state: this.state,
      redirects: (this.invite?.targets.attempts ?? this.attempts).map((a) => {
        const hop: RedirectHop = { uri: formatUri(a.uri), depth: a.depth };
        if (a.q !== undefined) hop.q = a.q;
        if (a.status !== undefined) hop.status = a.status;
        if (a.reason !== undefined) hop.reason = a.reason;
        return hop;
      }),
      durationMs: this.answeredAt !== undefined ? now - this.answeredAt : 0,
      dtmf: { sent: [...(this.media?.digitsSent ?? [])], received: [...(this.media?.digitsReceived ?? [])] },
      recordings: this.recordings.map((r) => r.path),
    };
    if (this.finalResponse) {
      s.status = this.finalResponse.status;
      s.reason = this.finalResponse.reason;
    }
    if (this.answeredAt !== undefined) s.answeredAtMs = this.answeredAt - this.startedAt;
    if (this.endedBy) s.endedBy = this.endedBy;
    if (this.media) Object.assign(s, mediaSummary(this.media));
    return s;
  }

  // ---------------------------------------------------------------------------------------------------

  private onProvisional(res: SipResponse): void {
    if (this.state === 'calling') this.state = 'ringing';
    this.emit({ type: 'provisional', status: res.status, reason: res.reason });
    // Early media (RFC 3960): a 183 with SDP starts the media before the answer.
    if (res.body.length > 0 && !this.media && isSdp(res)) {
      try {
        this.startMedia(negotiate(this.offer!, res.body));
      } catch (e) {
        this.emit({ type: 'warning', message: `early media ignored: ${(e as Error).message}` });
      }
    }
  }

  private async onOutcome(outcome: InviteOutcome): Promise<void> {
    if (outcome.kind === 'answered') {
      this.finalResponse = outcome.response;
      this.session = outcome.session;
      let negotiated: NegotiatedAudio;
      try {
        negotiated = negotiate(this.offer!, outcome.response.body);
      } catch (e) {
        // RFC 3261 §13.2.2.4 / RFC 3264: the ACK was sent; an unusable answer ends the call with BYE.
        void outcome.session.bye();
        return this.fail(`the answer cannot be used: ${(e as Error).message}`, 'no-codec', outcome.response.status);
      }
      this.answeredAt = this.ctx.clock.now();
      if (this.media) this.media.update(negotiated);
      else this.startMedia(negotiated);
      this.state = 'answered';
      this.wireSession(outcome.session);
      this.emit({ type: 'answered', status: outcome.response.status, codec: negotiated.codec.name, remote: `${negotiated.remoteRtp.address}:${negotiated.remoteRtp.port}` });
      this.resolveAnswered();
      if (this.options.record) this.record(this.options.record, { stereo: this.options.recordBoth ?? false });
      if (this.options.play) void this.media!.play(this.options.play, { loop: this.options.loop ?? false });
      this.watchRtp();
      if (this.hangupRequested) void this.hangup();
      return;
    }
    if (outcome.kind === 'cancelled') return this.fail('the call was cancelled before it was answered', 'cancelled', 487);
    this.finalResponse = outcome.response;
    const kind: CallFailureKind = outcome.error?.code?.startsWith('SIP_REDIRECT')
      ? 'redirect'
      : outcome.status === 408 && !outcome.response ? 'timeout'
      : outcome.status === 503 && !outcome.response ? 'transport'
      : outcome.status === 488 || outcome.status === 606 ? 'no-codec'
      : 'rejected';
    const why = outcome.error ? outcome.error.message : `${outcome.status} ${outcome.reason}`;
    this.fail(why, kind, outcome.status);
  }

  private startMedia(negotiated: NegotiatedAudio): void {
    this.media = startCallMedia({
      clock: this.ctx.clock,
      pacer: this.ctx.pacer,
      socket: this.socket!,
      negotiated,
      options: this.options,
      onDigit: (digit) => this.emit({ type: 'digit', digit }),
      warn: (message) => this.emit({ type: 'warning', message }),
      sendInfo: (body, contentType) => void this.session?.send('INFO', { body, contentType }),
    });
  }

  private wireSession(session: InviteSession): void {
    session.handlers = {
      onEnded: (reason) => this.onSessionEnded(reason),
      onOffer: (offer) => this.onReoffer(offer),
      onInfo: (body, contentType) => infoDtmfStatus(this.media, body, contentType, this.ctx.clock.now() - this.startedAt),
      onNotify: (req) => messageSummaryNotifyStatus(req, (summary) => this.emit({ type: 'voicemail', summary })),
      onRefer: (req) => handleRefer(session, req, (transfer) => this.emit({ type: 'transfer', transfer })),
    };
  }

  /** A re-INVITE/UPDATE from the peer: answered from our SDP session, the media follows (answerReoffer). */
  private onReoffer(offer: Buffer | undefined): OfferAnswer {
    return answerReoffer(this.sdp, offer, (audio) => {
      this.media?.update(audio);
      this.emit({ type: 'hold', onHold: audio.onHold });
    });
  }

  private onSessionEnded(reason: SessionEndReason): void {
    this.finish(endedByText(reason));
  }

  /** No RTP for rtpTimeoutMs while answered: the peer vanished. BYE (best effort) and end. */
  private watchRtp(): void {
    const timeout = this.options.rtpTimeoutMs ?? 30_000;
    this.stopRtpWatch = watchRtp(this.ctx.clock, timeout, () => this.media, () => this.state === 'answered', () => {
      this.emit({ type: 'warning', message: `no RTP received for ${timeout / 1000} s: hanging up` });
      void this.session?.bye();
      this.finish(`media timeout (no RTP for ${timeout / 1000} s)`);
    });
  }

  private fail(message: string, kind: CallFailureKind, status: number | undefined): void {
    this.finish(`failed: ${message}`);
    this.rejectAnswered(new CallFailedError(message, kind, status, this.summary()));
  }

  private finish(endedBy: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endedBy = endedBy;
    this.endedAt = this.ctx.clock.now();
    this.stopRtpWatch();
    this.media?.stop();
    void this.socket?.close();
    this.emit({ type: 'ended', reason: endedBy });
    const s = this.summary();
    this.resolveEnded(s);
  }

  private emit(e: CallEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function isSdp(m: SipRequest | SipResponse): boolean {
  try {
    const ct = getContentType(m);
    return ct !== undefined && `${ct.type}/${ct.subtype}`.toLowerCase() === 'application/sdp';
  } catch {
    return false;
  }
}
