/**
 * The DTMF send queue of one call: digits typed or scripted faster than they can be sent go out in
 * order, none lost, none merged, paced by the RTP stream's slots (one poll() per ptime; no timers).
 *
 * Timing knobs (those Exchange UM's own connectivity test exposes): initial silence before the first
 * digit (counted from the first poll, i.e. from the start of media), digit duration, inter-digit gap
 * (from the end of one digit to the start of the next), and pauses (`,` in a sequence, 500 ms) between
 * groups. A pause adds to the gap.
 *
 * Modes:
 *   - 'rfc4733': telephone-events through Rfc4733Sender; audio is suppressed while an event plays; an
 *     event starts on a slot boundary, and never before the previous event's three end packets are out.
 *   - 'inband': the Q.23 tone pair mixed into the outgoing linear frame (pass it to poll()), sample
 *     accurate within frames, phase-continuous across them; the caller G.711-encodes the frame. Keep
 *     duration and gap >= 40 ms or a Q.24 receiver may miss or merge digits (not enforced: a test phone
 *     may want to send bad timing on purpose). Flash (R) has no tone and is skipped in-band.
 *   - 'info': one SIP INFO body per key at its start (the call layer sends it); audio flows untouched.
 * chooseDtmfMode() (mode.ts) turns the user's request and the SDP answer into a mode.
 */
import type { DtmfInfoFormat, DtmfInfoBody } from './info.js';
import { buildDtmfInfo } from './info.js';
import { DtmfConfigError } from './errors.js';
import type { DtmfDigitEvent, DtmfKey } from './keys.js';
import type { DtmfMode } from './mode.js';
import { Rfc4733Sender, type TelephoneEventPacket } from './rfc4733-sender.js';
import { parseDtmfSequence, type DtmfStep } from './sequence.js';
import { DtmfToneGenerator } from './tone.js';

export interface DtmfSchedulerOptions {
  mode: DtmfMode;
  /** Default 20. */
  ptimeMs?: number;
  /** Audio sample rate for in-band, and telephone-event clock rate. Default 8000. */
  sampleRate?: number;
  /** Default 100 ms. */
  durationMs?: number;
  /** Default 70 ms. */
  gapMs?: number;
  /** Length of `,` in sequences. Default 500 ms. */
  pauseMs?: number;
  /** Silence before the first digit, from the first poll. Default 0. */
  initialSilenceMs?: number;
  /** RFC 4733 volume field (-dBm0). Default 10. */
  volume?: number;
  /** In-band level per tone (dBm0). Default -10. */
  levelDbm0?: number;
  /** In-band twist, level(high) - level(low). Default 0. */
  twistDb?: number;
  /** INFO body format. Default 'dtmf-relay'. */
  infoFormat?: DtmfInfoFormat;
  /** Each key as it starts, on the scheduler's timeline (ms since the first poll). */
  onSent?: (event: DtmfDigitEvent) => void;
}

export interface DtmfSlotOutput {
  /** 'send': send this slot's audio frame (with any in-band tone already mixed in); 'suppress': none. */
  audio: 'send' | 'suppress';
  /** RFC 4733 packets to send in this slot instead of audio: at most one (see rfc4733-sender.ts). */
  events: readonly TelephoneEventPacket[];
  /** INFO body to send now. */
  info?: DtmfInfoBody;
  /** True when an in-band tone was mixed into the frame passed to poll(). */
  toneMixed: boolean;
}

const SEND: DtmfSlotOutput = Object.freeze({ audio: 'send', events: Object.freeze([]) as readonly TelephoneEventPacket[], toneMixed: false });

interface PlayingTone {
  key: DtmfKey;
  /** Absolute sample positions. */
  start: number;
  end: number;
  begun: boolean;
}

export class DtmfScheduler {
  readonly mode: DtmfMode;
  private readonly ptimeMs: number;
  private readonly rate: number;
  private readonly durationMs: number;
  private readonly gapMs: number;
  private readonly pauseMs: number;
  private readonly infoFormat: DtmfInfoFormat;
  private readonly onSent: ((event: DtmfDigitEvent) => void) | undefined;
  private readonly sender: Rfc4733Sender | undefined;
  private readonly tone: DtmfToneGenerator | undefined;
  private readonly queue: DtmfStep[] = [];
  private slot = 0;
  /** Earliest start of the next key (ms on the scheduler's timeline). */
  private nextAt: number;
  private playing: PlayingTone | undefined;
  private keysSent = 0;

  constructor(options: DtmfSchedulerOptions) {
    this.mode = options.mode;
    this.ptimeMs = options.ptimeMs ?? 20;
    this.rate = options.sampleRate ?? 8000;
    this.durationMs = options.durationMs ?? 100;
    this.gapMs = options.gapMs ?? 70;
    this.pauseMs = options.pauseMs ?? 500;
    this.infoFormat = options.infoFormat ?? 'dtmf-relay';
    this.onSent = options.onSent;
    this.nextAt = options.initialSilenceMs ?? 0;
    for (const [name, v] of [['duration', this.durationMs], ['gap', this.gapMs], ['pause', this.pauseMs], ['initial silence', this.nextAt]] as const) {
      if (!(v >= 0 && Number.isFinite(v))) throw new DtmfConfigError(`DTMF ${name} ${v} ms must be a non-negative number.`);
    }
    if (!(this.durationMs > 0)) throw new DtmfConfigError(`DTMF duration ${this.durationMs} ms must be a positive number.`);
    if (this.mode === 'rfc4733') {
      this.sender = new Rfc4733Sender({
        ptimeMs: this.ptimeMs, clockRate: this.rate, volume: options.volume ?? 10,
      });
    }
    if (this.mode === 'inband') {
      this.tone = new DtmfToneGenerator({ sampleRate: this.rate, levelDbm0: options.levelDbm0 ?? -10, twistDb: options.twistDb ?? 0 });
    }
  }

  /** Appends a sequence ("1234#,,5678") or parsed steps; returns the number of keys queued. */
  enqueue(sequence: string | readonly DtmfStep[]): number {
    const steps = typeof sequence === 'string' ? parseDtmfSequence(sequence, this.pauseMs) : sequence;
    this.queue.push(...steps);
    return steps.filter((s) => s.kind === 'key').length;
  }

  /** Keys waiting, not yet started. */
  get pendingKeys(): number {
    return this.queue.filter((s) => s.kind === 'key').length;
  }

  /** Keys started so far. */
  get sentKeys(): number {
    return this.keysSent;
  }

  /** Nothing queued and nothing playing. */
  get idle(): boolean {
    return this.queue.length === 0 && !this.playing && !(this.sender?.busy ?? false);
  }

  /** Drops the keys not yet started (a key already playing finishes). */
  clear(): void {
    this.queue.length = 0;
  }

  /**
   * Slots the RTP stream could not serve (forward `RtpSource.missed(count)`): time moves on; an event
   * playing grows by those slots, an in-band tone is cut short by them.
   */
  missed(count: number): void {
    if (count <= 0) return;
    this.slot += count;
    this.sender?.missed(count);
  }

  /**
   * One slot. `slotTimestamp`: the RTP timestamp of this slot's audio; `frame`: this slot's outgoing
   * linear audio (in-band mode mixes its tone into it, in place).
   */
  poll(slotTimestamp: number, frame?: Int16Array): DtmfSlotOutput {
    const t0 = this.slot * this.ptimeMs;
    this.slot++;
    switch (this.mode) {
      case 'rfc4733': {
        const sender = this.sender!;
        if (!sender.busy) {
          const step = this.take(t0, t0);
          if (step) {
            const d = step.durationMs ?? this.durationMs;
            sender.begin(step.key, d);
            this.nextAt = t0 + d + this.gapMs;
            this.sent(step.key, t0, d);
          }
        }
        const r = sender.poll(slotTimestamp);
        return r.kind === 'events' ? { audio: 'suppress', events: r.packets, toneMixed: false } : SEND;
      }
      case 'info': {
        const step = this.take(t0, t0);
        if (!step) return SEND;
        const d = step.durationMs ?? this.durationMs;
        this.nextAt = t0 + d + this.gapMs;
        this.sent(step.key, t0, d);
        return { ...SEND, info: buildDtmfInfo(step.key, d, this.infoFormat) };
      }
      case 'inband':
        return this.inband(t0, frame);
    }
  }

  private inband(t0: number, frame: Int16Array | undefined): DtmfSlotOutput {
    const perSlot = frame?.length ?? Math.round((this.ptimeMs * this.rate) / 1000);
    const s0 = Math.round((t0 * this.rate) / 1000);
    const s1 = s0 + perSlot;
    let mixed = false;
    let cursor = s0;
    while (cursor < s1) {
      if (!this.playing) {
        const step = this.take(((s1 - 1) * 1000) / this.rate, (cursor * 1000) / this.rate);
        if (!step) break;
        const d = step.durationMs ?? this.durationMs;
        const start = Math.max(cursor, Math.round((this.nextAt * this.rate) / 1000));
        const end = start + Math.max(1, Math.round((d * this.rate) / 1000));
        this.nextAt = ((end * 1000) / this.rate) + this.gapMs;
        if (step.key === 'R') continue; // hook flash has no tone pair
        this.playing = { key: step.key, start, end, begun: false };
        this.sent(step.key, (start * 1000) / this.rate, d);
      }
      const p = this.playing;
      const from = Math.max(cursor, p.start);
      const to = Math.min(s1, p.end);
      if (!p.begun) {
        this.tone!.start(p.key as Exclude<DtmfKey, 'R'>);
        p.begun = true;
      }
      if (frame && to > from) {
        this.tone!.mixInto(frame, from - s0, to - from);
        mixed = true;
      }
      cursor = to;
      if (to >= p.end) {
        this.tone!.stop();
        this.playing = undefined;
      }
    }
    return mixed ? { ...SEND, toneMixed: true } : SEND;
  }

  /**
   * The next key if it may start at or before `t` (ms), after applying any pauses in front of it. A pause
   * counts from `now` when the queue had run dry (a pause typed later is still a pause).
   */
  private take(t: number, now: number): { key: DtmfKey; durationMs?: number } | undefined {
    while (this.queue.length > 0 && this.queue[0]!.kind === 'pause') {
      const p = this.queue.shift() as { kind: 'pause'; ms: number };
      this.nextAt = Math.max(this.nextAt, now) + p.ms;
    }
    const head = this.queue[0];
    if (!head || head.kind !== 'key' || this.nextAt > t) return undefined;
    this.queue.shift();
    return head;
  }

  private sent(key: DtmfKey, startMs: number, durationMs: number): void {
    this.keysSent++;
    this.onSent?.({ digit: key, method: this.mode, startMs, durationMs });
  }
}
