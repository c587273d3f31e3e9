/**
 * The DTMF a call sends, inside its media session: one DtmfScheduler per method in use (RFC 4733
 * event packets, in-band tones mixed into the audio, SIP INFO bodies), keys queued in order and none
 * lost, and each sendDtmf() promise settled once its last key has gone out. The media session polls
 * it once per packet; it knows nothing of sockets.
 */
import type { NegotiatedAudio } from '../sdp/index.js';
import type { RtpPollResult } from '../rtp/sender.js';
import {
  DtmfScheduler, chooseDtmfMode, type DtmfDigitEvent, type DtmfInfoBody, type DtmfMode, type DtmfModeRequest,
} from '../media/dtmf/index.js';
import { MediaError, type DtmfSettings } from './media-types.js';

export class DtmfOut {
  /** Every key sent, with its method and timing. */
  readonly sent: DtmfDigitEvent[] = [];
  /** Told of each key as it goes out (the call's evidence). */
  onSent: ((e: DtmfDigitEvent) => void) | undefined;
  private readonly schedulers = new Map<DtmfMode, DtmfScheduler>();
  /** RFC 4733 packets waiting for their tick. */
  private readonly events: RtpPollResult[] = [];
  private readonly waiters: Array<{ scheduler: DtmfScheduler; target: number; done: () => void }> = [];

  constructor(readonly settings: DtmfSettings, private readonly onInfo: (info: DtmfInfoBody) => void) {}

  /** The method `requested` resolves to (auto: RFC 4733 when the answer has telephone-event). */
  mode(negotiated: NegotiatedAudio, requested: DtmfModeRequest = this.settings.mode): DtmfMode {
    return chooseDtmfMode(requested, negotiated.telephoneEvent?.payloadType);
  }

  /** Queue keys ("," = pause); resolves when the last one has been sent. */
  send(negotiated: NegotiatedAudio, sequence: string, requested?: DtmfModeRequest): Promise<void> {
    const m = this.mode(negotiated, requested);
    if (m === 'rfc4733' && !negotiated.telephoneEvent) {
      return Promise.reject(new MediaError('RFC 4733 DTMF was requested but the answer has no telephone-event'));
    }
    const scheduler = this.scheduler(m, negotiated.ptime);
    scheduler.enqueue(sequence);
    const target = scheduler.sentKeys + scheduler.pendingKeys;
    return new Promise((resolve) => this.waiters.push({ scheduler, target, done: resolve }));
  }

  /**
   * One packet's worth: in-band tones are mixed into `frame`, RFC 4733 packets queued, INFO bodies
   * handed out. Returns whether the audio of this tick must not be sent (an RFC 4733 event replaces it).
   */
  poll(timestamp: number, frame: Int16Array, negotiated: NegotiatedAudio): boolean {
    let suppress = false;
    for (const s of this.schedulers.values()) {
      const out = s.poll(timestamp, frame);
      if (out.info) this.onInfo(out.info);
      if (out.audio === 'suppress') suppress = true;
      for (const p of out.events) {
        this.events.push({
          payload: Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength),
          payloadType: negotiated.telephoneEvent!.payloadType,
          marker: p.marker,
          timestamp: p.timestampOverride,
        });
      }
    }
    this.settle();
    return suppress;
  }

  /** The next RFC 4733 packet due, if any. */
  nextEvent(): RtpPollResult | undefined {
    return this.events.shift();
  }

  get hasEvents(): boolean {
    return this.events.length > 0;
  }

  /** The call is over: every pending sendDtmf() resolves. */
  stop(): void {
    for (const w of this.waiters.splice(0)) w.done();
  }

  private scheduler(mode: DtmfMode, ptimeMs: number): DtmfScheduler {
    let s = this.schedulers.get(mode);
    if (!s) {
      const d = this.settings;
      const o: ConstructorParameters<typeof DtmfScheduler>[0] = { mode, ptimeMs, onSent: (e) => { this.sent.push(e); this.onSent?.(e); } };
      if (d.duration !== undefined) o.durationMs = d.duration;
      if (d.gap !== undefined) o.gapMs = d.gap;
      if (d.pause !== undefined) o.pauseMs = d.pause;
      if (d.initialSilence !== undefined) o.initialSilenceMs = d.initialSilence;
      if (d.level !== undefined) o.levelDbm0 = d.level;
      if (d.volume !== undefined) o.volume = d.volume;
      s = new DtmfScheduler(o);
      this.schedulers.set(mode, s);
    }
    return s;
  }

  private settle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.scheduler.sentKeys >= w.target && w.scheduler.idle) {
        this.waiters.splice(i, 1);
        w.done();
      }
    }
  }
}
