/**
 * What listening to a call keeps, for the waits (waits.ts) to read: every 20 ms frame of received
 * audio goes through a continuous voice activity detector and a detector of the usual single tones,
 * into a bounded history; digits are kept like a keyboard buffer; the call's end is noted. Time is
 * "listener time", ms of audio heard since attaching, so a test drives it by feeding frames.
 * `wait()` is the one shape of every wait: a waiter fed frames, digits and the end, and a clock timeout.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { VoiceActivityDetector, type VadOptions } from '../media/analysis/vad.js';
import { ToneDetector, type ToneEvent } from '../media/analysis/tone.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import { describeHeard, type HeardWindow } from './heard.js';
import { CallEndedError, WaitTimeoutError, type WaitResult } from './wait-types.js';

/** What a listener needs from a call (a Call's media session fits; tests feed a fake). */
export interface ListenSource {
  onFrame(listener: (pcm: Int16Array, atMs: number) => void): () => void;
  onDigit(listener: (d: DtmfDigitEvent) => void): () => void;
  /** RTP packets received so far (to tell "silence" from "no RTP at all"). */
  packetsReceived(): number;
  /** Resolves with a reason when the call ends. */
  ended: Promise<string>;
  /** Starts recording what is heard (Call.record). */
  record?(path: string, opts: { stereo?: boolean }): { readonly path: string; readonly durationMs: number; stop(): void };
}

export interface SpeechSegment {
  startMs: number;
  /** undefined while the speech goes on. */
  endMs: number | undefined;
}

export interface HeardTone {
  frequency: number;
  startMs: number;
  endMs: number | undefined;
}

/** Tones a summary names when it hears them: call progress and the usual "leave a message" beeps. */
const SUMMARY_TONES = [400, 425, 440, 480, 620, 1000, 1400, 2100];
const FRAME_MS = 20;
/** Samples in a frame (20 ms at 8 kHz). */
const FRAME = 160;
/** Frames in a chunk of the history (1 s). */
const HISTORY_CHUNK_FRAMES = 50;

export interface Waiter {
  frame(): void;
  digit(): void;
  ended(reason: string): void;
}

export class ListenerCore {
  protected readonly vad: VoiceActivityDetector;
  private readonly tones = new ToneDetector({ frequencies: SUMMARY_TONES, minDurationMs: 200 });
  protected t = 0;
  /**
   * What was heard, in chunks of HISTORY_CHUNK_FRAMES frames: chunk 0 from its frame `historyHead` on,
   * `historyFrames` frames in all. One array a second instead of one per 20 ms frame: a load run's
   * hundreds of listening callers kept hundreds of thousands of small arrays alive (heap snapshot of
   * bench/load.bench.ts), each one more object for the collector to trace and free.
   */
  private readonly history: Int16Array[] = [];
  private historyHead = 0;
  private historyFrames = 0;
  protected historyStartMs = 0;
  private readonly historyMs: number;
  readonly segments: SpeechSegment[] = [];
  readonly heardTones: HeardTone[] = [];
  readonly digits: Array<DtmfDigitEvent & { atMs: number }> = [];
  /** Digits received but not yet taken by a DTMF wait. */
  protected unread: Array<DtmfDigitEvent & { atMs: number }> = [];
  protected readonly waiters = new Set<Waiter>();
  protected endReason: string | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  protected lastFrame: Int16Array = new Int16Array(160);

  constructor(protected readonly source: ListenSource, protected readonly clock: Clock, options: { vad?: VadOptions; historyMs?: number } = {}) {
    this.vad = new VoiceActivityDetector(options.vad);
    this.historyMs = options.historyMs ?? 120_000;
    this.unsubscribe.push(source.onFrame((pcm) => this.frame(pcm)));
    this.unsubscribe.push(source.onDigit((d) => {
      const e = { ...d, atMs: this.t };
      this.digits.push(e);
      this.unread.push(e);
      for (const w of [...this.waiters]) w.digit();
    }));
    void source.ended.then((reason) => {
      this.endReason = reason;
      for (const w of [...this.waiters]) w.ended(reason);
    });
  }

  /** Listener time: ms of audio heard since attaching. */
  get nowMs(): number {
    return this.t;
  }

  get inSpeech(): boolean {
    return this.vad.state === 'speech';
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  detach(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** The audio heard between two listener times still in the history. */
  audioBetween(fromMs: number, toMs: number = this.t): Int16Array {
    const from = Math.max(fromMs, this.historyStartMs);
    const first = Math.max(0, Math.floor((from - this.historyStartMs) / FRAME_MS));
    const last = Math.min(this.historyFrames, Math.ceil((Math.min(toMs, this.t) - this.historyStartMs) / FRAME_MS));
    const out = new Int16Array(Math.max(0, last - first) * FRAME);
    // Frame i of the history is frame (historyHead + i) of the chunks.
    let o = 0;
    for (let i = this.historyHead + first; i < this.historyHead + last; ) {
      const chunk = this.history[Math.floor(i / HISTORY_CHUNK_FRAMES)]!;
      const k = i % HISTORY_CHUNK_FRAMES;
      const n = Math.min(HISTORY_CHUNK_FRAMES - k, this.historyHead + last - i);
      out.set(chunk.subarray(k * FRAME, (k + n) * FRAME), o);
      o += n * FRAME;
      i += n;
    }
    return out;
  }
  /** Milliseconds of speech heard since listener time `fromMs`. */
  protected speechSince(fromMs: number): number {
    let n = 0;
    for (const seg of this.segments) n += Math.max(0, Math.min(seg.endMs ?? this.t, this.t) - Math.max(seg.startMs, fromMs));
    return n;
  }

  /** Describes what was heard since listener time `fromMs` (for timeouts and reports). */
  describe(fromMs: number, packetsAtStart: number): string {
    const w: HeardWindow = {
      fromMs,
      toMs: this.t,
      packetsAtStart,
      packetsNow: this.source.packetsReceived(),
      segments: this.segments,
      tones: this.heardTones,
      digits: this.digits,
    };
    return describeHeard(w);
  }

  // ---- internals --------------------------------------------------------------------------------

  private frame(pcm: Int16Array): void {
    this.lastFrame = pcm;
    const at = this.historyHead + this.historyFrames;
    const c = Math.floor(at / HISTORY_CHUNK_FRAMES);
    if (c === this.history.length) this.history.push(new Int16Array(HISTORY_CHUNK_FRAMES * FRAME));
    // A frame is FRAME samples (the media session's playout); a shorter one leaves silence after it.
    this.history[c]!.set(pcm.length > FRAME ? pcm.subarray(0, FRAME) : pcm, (at % HISTORY_CHUNK_FRAMES) * FRAME);
    this.historyFrames++;
    while (this.historyFrames * FRAME_MS > this.historyMs) {
      this.historyFrames--;
      this.historyStartMs += FRAME_MS;
      if (++this.historyHead === HISTORY_CHUNK_FRAMES) {
        this.history.shift();
        this.historyHead = 0;
      }
    }
    for (const e of this.vad.push(pcm)) {
      if (e.type === 'speech-start') this.segments.push({ startMs: e.atMs, endMs: undefined });
      else {
        const s = this.segments[this.segments.length - 1];
        if (s) s.endMs = e.atMs;
      }
    }
    for (const e of this.tones.push(pcm)) this.noteTone(e);
    this.t += pcm.length / 8;
    for (const w of [...this.waiters]) w.frame();
  }

  private noteTone(e: ToneEvent): void {
    if (e.type === 'tone-start') this.heardTones.push({ frequency: e.frequency, startMs: e.startMs, endMs: undefined });
    else {
      const t = this.heardTones[this.heardTones.length - 1];
      if (t) t.endMs = e.atMs;
    }
  }

  /** The common shape of a wait: a waiter, a clock timeout, and the call's end. */
  protected wait<R extends WaitResult>(
    what: string,
    timeoutMs: number,
    make: (start: number, done: (r: R) => void, fail: (e: Error) => void) => {
      frame(): void;
      digit?(): void;
      ended?(reason: string): void;
      immediate?(): void;
      timeoutDetail?(): string;
      /** Return false to let the wait go on past its timeout (a capture under way). */
      onTimeout?(): boolean;
    },
  ): Promise<R> {
    const start = this.t;
    const packets = this.source.packetsReceived();
    return new Promise<R>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.waiters.delete(w);
        timer?.cancel();
        return true;
      };
      const done = (r: R): void => {
        if (settle()) resolve(r);
      };
      const fail = (e: Error): void => {
        if (settle()) reject(e);
      };
      const h = make(start, done, fail);
      const w: Waiter = {
        frame: () => h.frame(),
        digit: () => h.digit?.(),
        ended: (reason) => {
          if (h.ended) h.ended(reason);
          else fail(new CallEndedError(what, reason, this.describe(start, packets)));
        },
      };
      timer = this.clock.setTimeout(() => {
        if (h.onTimeout?.() === false) return;
        const extra = h.timeoutDetail?.();
        fail(new WaitTimeoutError(what, timeoutMs, this.describe(start, packets) + (extra ? ` (${extra})` : '')));
      }, timeoutMs);
      this.waiters.add(w);
      h.immediate?.();
      if (!settled && this.endReason !== undefined) w.ended(this.endReason);
    });
  }
}
