/**
 * The life of a call, once for both roles: Call (we placed it, UAC) and IncomingCall (we answered it,
 * UAS) differ in how the INVITE goes; everything after is here.
 * - State: one guarded `moveTo()` checks every change against the table below; `finish()` is the only
 *   way to `ended`, it runs once, with a typed end reason (end-reason.ts).
 * - Events: `onEvent()` listeners; `answered` and `ended` promises.
 * - Media: the session started from the negotiated SDP, the auto-record/auto-play of the options, the
 *   RTP watchdog, re-offers (hold/resume) answered from our SDP session, INFO DTMF.
 * - The dialog's requests (BYE, re-INVITE, INFO, NOTIFY, REFER) wired to the above.
 * - The summary.
 * What a user does with a call (DTMF, play, record, the waits) sits on top, in call-actions.ts.
 */
import type { Clock } from '../util/clock.js';
import type { InviteSession, OfferAnswer } from '../sip/dialog/invite-session.js';
import type { LocalSdpSession, NegotiatedAudio } from '../sdp/index.js';
import type { Pacer } from '../rtp/pacer.js';
import type { VadOptions } from '../media/analysis/vad.js';
import { loadWavForPlayback } from '../media/wav/reader.js';
import type { MediaSession, MediaSocket, Recording } from './media-session.js';
import { answerReoffer, infoDtmfStatus, mediaSummary, startCallMedia, watchRtp } from './call-media.js';
import { handleRefer } from './refer.js';
import { messageSummaryNotifyStatus } from './message-summary.js';
import { CallListener, type ListenSource } from './waits.js';
import { describeEnd, endOfSession, type CallEndReason } from './end-reason.js';
import { CallQualityTracker } from './call-quality.js';
import { CallSrtp } from './call-srtp.js';
import { CallFailedError, CallStateError, type AudioSource, type CallEvent, type CallMediaOptions, type CallState, type CallSummary, type RedirectHop } from './call-types.js';

/** The legal moves; anything else is a bug and throws. */
const NEXT: Readonly<Record<CallState, readonly CallState[]>> = {
  calling: ['ringing', 'answered', 'ending', 'ended'],
  ringing: ['answered', 'ending', 'ended'],
  answered: ['ending', 'ended'],
  ending: ['ended'],
  ended: [],
};

/** What a call needs from its phone, whichever its role. */
export interface CallCoreContext {
  clock: Clock;
  pacer: Pacer;
  /** Our address for the SDP c= line (never a wildcard). */
  mediaAddress: string;
  /**
   * Opens the RTP/RTCP socket pair of the call. `wrap` (the call's SRTP layer) goes right on the real
   * pair, below anything the phone adds (the pcap capture sees what the media session sees).
   */
  openSocket(wrap?: (raw: MediaSocket) => MediaSocket): Promise<MediaSocket>;
}

/** What the phone's own layers (script runner, CLI, UM server) reach that a library user does not. */
export interface CallInternals {
  readonly media: MediaSession | undefined;
  readonly session: InviteSession | undefined;
  /** The listener on the received audio; created now if the media runs and it was not yet. */
  ear(): CallListener;
  /** The listener if it has started. */
  readonly startedEar: CallListener | undefined;
  /**
   * Before the media starts: listen from the first frame (the default, so a wait sees speech that began
   * before it) or only from the first wait (`fromStart: false`: no analysis cost for calls that never
   * wait, e.g. the UM server's); and the VAD's tuning.
   */
  configureEar(o: { fromStart?: boolean; vad?: VadOptions }): void;
  /** Resolves once the call has ended and our closing BYE, if any, has its response (or failed). */
  readonly settled: Promise<void>;
  /** A 'warning' event from a layer beside the call (the capture: "pcap: disk full; the call goes on ..."). */
  warn(message: string): void;
  /** Where the call's pcap is written (call-capture.ts), for the summary's `pcap`. */
  captureFile: (() => string | undefined) | undefined;
}

let internals: (call: CallCore) => CallInternals;

/** The internals of a call (not part of the public API). */
export function callInternals(call: CallCore): CallInternals {
  return internals(call);
}

export abstract class CallCore {
  readonly answered: Promise<void>;
  readonly ended: Promise<CallSummary>;
  #state: CallState;
  protected session: InviteSession | undefined;
  protected media: MediaSession | undefined;
  protected socket: MediaSocket | undefined;
  /** Our side of the SDP (RFC 3264): the offer or answer, then answers to re-offers with o= kept. */
  protected sdp: LocalSdpSession | undefined;
  /** The call's SRTP (the `srtp` option): its SDP side and, once the socket is open, its packets. */
  protected srtp: CallSrtp;
  /** The final response to the INVITE (received or sent). */
  protected final: { status: number; reason: string } | undefined;
  protected readonly startedAt: number;
  private answeredAt: number | undefined;
  private endedAt: number | undefined;
  private end: CallEndReason | undefined;
  private readonly listeners = new Set<(e: CallEvent) => void>();
  private resolveEnded!: (s: CallSummary) => void;
  private resolveAnswered!: () => void;
  private rejectAnswered!: (e: Error) => void;
  private answerSettled = false;
  private stopRtpWatch: () => void = () => undefined;
  protected readonly recordings: Recording[] = [];
  private ear: CallListener | undefined;
  private earOptions: { fromStart: boolean; vad?: VadOptions } = { fromStart: true };
  private byeSettled: Promise<void> | undefined;
  private captureFile: (() => string | undefined) | undefined;
  /** The quality model (call-quality.ts): on for every call, O(1) per packet. */
  protected readonly quality: CallQualityTracker;

  static {
    internals = (c) => ({
      get media() { return c.media; },
      get session() { return c.session; },
      ear: () => c.listener(),
      get startedEar() { return c.ear; },
      configureEar: (o) => { c.earOptions = { ...c.earOptions, ...o }; },
      get settled() { return c.ended.then(() => c.byeSettled); },
      warn: (message) => c.emit({ type: 'warning', message }),
      get captureFile() { return c.captureFile; },
      set captureFile(f) { c.captureFile = f; },
    });
  }

  protected constructor(protected readonly ctx: CallCoreContext, initial: CallState, protected options: CallMediaOptions) {
    this.#state = initial;
    this.srtp = new CallSrtp({ mode: options.srtp ?? 'off', ...(options.srtpSuites ? { suites: options.srtpSuites } : {}) });
    this.startedAt = ctx.clock.now();
    this.quality = new CallQualityTracker(ctx.clock, this.startedAt);
    this.ended = new Promise((r) => { this.resolveEnded = r; });
    this.answered = new Promise((res, rej) => { this.resolveAnswered = res; this.rejectAnswered = rej; });
    this.answered.catch(() => undefined);
  }

  get state(): CallState {
    return this.#state;
  }

  abstract get callId(): string;

  /** Hang up: before the answer CANCEL (placed) or a final response (incoming), BYE after. */
  abstract hangup(): Promise<CallSummary>;

  /** The role's part of the summary: what was called, and the redirect chain. */
  protected abstract summaryTarget(): { target: string; redirects: RedirectHop[] };

  onEvent(listener: (e: CallEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The summary so far, or the final one once ended (what `ended` resolves with). */
  summary(): CallSummary {
    const now = this.endedAt ?? this.ctx.clock.now();
    const s: CallSummary = {
      ...this.summaryTarget(),
      callId: this.callId,
      state: this.#state,
      durationMs: this.answeredAt !== undefined ? now - this.answeredAt : 0,
      dtmf: { sent: [...(this.media?.digitsSent ?? [])], received: [...(this.media?.digitsReceived ?? [])] },
      recordings: this.recordings.map((r) => r.path),
    };
    if (this.final) {
      s.status = this.final.status;
      s.reason = this.final.reason;
    }
    if (this.answeredAt !== undefined) s.answeredAtMs = this.answeredAt - this.startedAt;
    if (this.end) {
      s.end = this.end;
      s.endedBy = describeEnd(this.end);
    }
    if (this.media) Object.assign(s, mediaSummary(this.media));
    s.quality = this.quality.summary();
    const pcap = this.captureFile?.();
    if (pcap !== undefined) s.pcap = pcap;
    const srtp = this.srtp.summary();
    if (srtp) s.srtp = srtp;
    return s;
  }

  // ---- for the roles ------------------------------------------------------------------------------

  /** The one place the state changes (but for `finish`). */
  protected moveTo(next: CallState): void {
    if (next === this.#state) return;
    if (!NEXT[this.#state].includes(next)) throw new CallStateError(`a call cannot go from ${this.#state} to ${next}`);
    this.#state = next;
  }

  protected emit(e: CallEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  /** The INVITE got (or we sent) its 2xx: `answered` resolves. */
  protected markAnswered(): void {
    this.moveTo('answered');
    this.answeredAt = this.ctx.clock.now();
    this.answerSettled = true;
    this.resolveAnswered();
  }

  /** Start the media session from an SDP negotiation, or move the running one to it. */
  protected startMedia(negotiated: NegotiatedAudio): void {
    if (this.media) return this.media.update(negotiated);
    this.media = startCallMedia({
      clock: this.ctx.clock,
      pacer: this.ctx.pacer,
      socket: this.socket!,
      negotiated,
      options: this.options,
      onDigit: (digit) => this.emit({ type: 'digit', digit }),
      warn: (message) => this.emit({ type: 'warning', message }),
      sendInfo: (body, contentType) => void this.session?.send('INFO', { body, contentType }),
      quality: this.quality,
    });
    this.quality.mediaStarted(negotiated.codec.name);
    if (this.earOptions.fromStart) this.listener();
  }

  /** Answered with media running: say so, start the options' recording and playback, watch the RTP. */
  protected mediaAnswered(negotiated: NegotiatedAudio): void {
    this.emit({ type: 'answered', status: this.final?.status ?? 200, codec: negotiated.codec.name, remote: `${negotiated.remoteRtp.address}:${negotiated.remoteRtp.port}` });
    const o = this.options;
    if (o.record) this.recordings.push(this.media!.record(o.record, { stereo: o.recordBoth ?? false }));
    if (o.play !== undefined) this.playOption(o.play, o.loop ?? false);
    const timeout = o.rtpTimeout ?? 30_000;
    this.stopRtpWatch = watchRtp(this.ctx.clock, timeout, () => this.media, () => this.#state === 'answered', () => {
      this.emit({ type: 'warning', message: `no RTP received for ${timeout / 1000} s: hanging up` });
      this.endByBye({ kind: 'media-timeout', after: timeout });
    });
  }

  /** The dialog's requests, for both roles. */
  protected wireSession(session: InviteSession): void {
    this.session = session;
    session.handlers = {
      onEnded: (reason) => this.finish(endOfSession(reason)),
      onOffer: (offer) => this.onReoffer(offer),
      onInfo: (body, contentType) => infoDtmfStatus(this.media, body, contentType, this.ctx.clock.now() - this.startedAt),
      onNotify: (req) => messageSummaryNotifyStatus(req, (summary) => this.emit({ type: 'voicemail', summary })),
      onRefer: (req) => handleRefer(session, req, (transfer) => this.emit({ type: 'transfer', transfer })),
    };
  }

  /** End with `end` and send BYE (best effort); resolves when the BYE is answered. */
  protected async endByBye(end: CallEndReason): Promise<void> {
    const session = this.session;
    if (this.#state === 'ended' || !session) return;
    this.moveTo('ending');
    // Finish first: the session reports its own end (a local BYE) as soon as the BYE goes out, and
    // the first reason given is the one kept.
    this.finish(end);
    const bye = session.bye();
    this.byeSettled = bye.then(() => undefined, () => undefined);
    await bye;
  }

  /**
   * The end, once: stop the media (recordings are finalized), close the socket, report. A call that
   * was never answered rejects `answered` with CallFailedError.
   */
  protected finish(end: CallEndReason, failure?: string): void {
    if (this.#state === 'ended') return;
    this.moveTo('ended');
    this.end = end;
    this.endedAt = this.ctx.clock.now();
    this.stopRtpWatch();
    this.media?.stop();
    this.quality.end(this.endedAt);
    void this.socket?.close();
    this.emit({ type: 'ended', end });
    const s = this.summary();
    if (!this.answerSettled) {
      this.answerSettled = true;
      this.rejectAnswered(new CallFailedError(end, s, failure));
    }
    this.resolveEnded(s);
  }

  /** The listener on the received audio (waits.ts), started at the first use if not at media start. */
  protected listener(): CallListener {
    if (this.ear) return this.ear;
    const media = this.media;
    if (!media) throw new CallStateError(`cannot listen: the call has no media yet (${this.#state})`);
    const source: ListenSource = {
      onFrame: (l) => media.onFrame(l),
      onDigit: (l) => media.onDigit(l),
      packetsReceived: () => media.stats().received.packetsReceived,
      ended: this.ended.then((s) => s.endedBy ?? 'ended'),
      record: (path, opts) => this.keepRecording(media.record(path, opts)),
    };
    this.ear = new CallListener(source, this.ctx.clock, this.earOptions.vad ? { vad: this.earOptions.vad } : {});
    return this.ear;
  }

  /** The options' `play`: at once for decoded audio, once read for a path. */
  private playOption(play: AudioSource, loop: boolean): void {
    if (typeof play !== 'string') return void this.media!.play(play, { loop });
    void loadWavForPlayback(play).then(
      (audio) => void this.media?.play(audio, { loop }),
      (e: Error) => this.emit({ type: 'warning', message: `cannot play ${play}: ${e.message}` }),
    );
  }

  protected keepRecording(r: Recording): Recording {
    this.recordings.push(r);
    return r;
  }

  /** A re-INVITE/UPDATE: answered from our SDP session; the media follows, or starts (delayed offer). */
  private onReoffer(offer: Buffer | undefined): OfferAnswer {
    return answerReoffer(this.sdp, offer, (audio) => {
      const starting = !this.media;
      if (!starting || this.#state === 'answered') this.startMedia(audio);
      if (starting && this.media) this.mediaAnswered(audio);
      this.emit({ type: 'hold', onHold: audio.onHold });
    });
  }
}
