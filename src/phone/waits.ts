/**
 * Listening to a call: the waits a caller script needs ("wait for speech", "wait for silence", "wait
 * for the 1 kHz beep", "wait for DTMF", "record until silence", "is this the enter-PIN prompt?").
 *
 * One CallListener per call watches every 20 ms frame of received audio (after the jitter buffer) from
 * the moment it is attached: a continuous voice activity detector (so a wait that starts in the middle
 * of a prompt knows it is in speech, and where that speech began), a tone detector for the usual
 * single-frequency tones, the digits the far end sent, and a bounded history of the audio so a prompt
 * that started a moment before the wait is still captured whole.
 *
 * Everything is timed by the frames ("listener time", ms of audio heard since attaching), so a test
 * drives it by feeding frames; timeouts run on the injected clock. A wait that times out says what was
 * heard instead ("heard speech for 5.0 s", "heard nothing at all (no RTP)", "heard a 1000 Hz tone").
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { VoiceActivityDetector, speechSegments, type VadOptions } from '../media/analysis/vad.js';
import { ToneDetector, type ToneEvent } from '../media/analysis/tone.js';
import { comparePrompt, DEFAULT_MATCH_THRESHOLD } from '../media/analysis/fingerprint.js';
import { findPrompt } from '../media/analysis/prompt-match.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import { describeHeard, formatSeconds, type HeardWindow } from './heard.js';

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

export class WaitTimeoutError extends UmphoneError {
  constructor(readonly what: string, readonly timeoutMs: number, readonly heard: string) {
    super(`timed out after ${formatSeconds(timeoutMs)} waiting for ${what}: heard ${heard}`, 'WAIT_TIMEOUT');
  }
}

export class CallEndedError extends UmphoneError {
  constructor(readonly what: string, readonly reason: string, readonly heard: string) {
    super(`the call ended (${reason}) while waiting for ${what}: heard ${heard}`, 'WAIT_CALL_ENDED');
  }
}

export class PromptMismatchError extends UmphoneError {
  constructor(readonly prompt: string, readonly score: number, readonly threshold: number, detail: string) {
    super(`${detail} (score ${score.toFixed(2)} < ${threshold})`, 'PROMPT_MISMATCH');
  }
}

export class DtmfMismatchError extends UmphoneError {
  constructor(readonly expected: string, readonly received: string) {
    super(`expected DTMF "${expected}" but received "${received}"`, 'DTMF_MISMATCH');
  }
}

export interface WaitResult {
  /** Listener time (ms) of the event waited for (a back-dated boundary for speech and silence). */
  atMs: number;
  /** How long the wait took (ms of audio heard). */
  waitedMs: number;
  /** One line for the timeline: "speech after 0.9 s". */
  detail: string;
}

export interface ToneWaitResult extends WaitResult {
  frequency: number;
}

export interface DigitsWaitResult extends WaitResult {
  digits: string;
  events: DtmfDigitEvent[];
}

export type RecordUntil = 'silence' | 'tone' | 'dtmf' | 'hangup' | 'max';

export interface RecordOptions {
  until?: RecordUntil;
  /** Longest recording (ms). Default 60 000. */
  maxMs?: number;
  /** until silence: this much silence after speech ends it. Default 1500. */
  silenceMs?: number;
  /** until tone: the frequencies (Hz). Default [1000]. */
  frequencies?: number[];
  /** until dtmf: only these keys end it (default any). */
  digits?: string;
  stereo?: boolean;
}

export interface RecordResult extends WaitResult {
  path: string;
  durationMs: number;
  endedBy: RecordUntil;
}

export interface PromptOptions {
  /** Name for messages (the file name). */
  name?: string;
  /** How long to wait for the prompt to start (expect) or to be heard (wait). Default 10 s / 30 s. */
  timeoutMs?: number;
  /** Extra audio beyond the reference's length to capture (ms). Default 1000. */
  marginMs?: number;
  threshold?: number;
}

export interface PromptResult extends WaitResult {
  score: number;
  threshold: number;
  /** Where the heard prompt started and ended (listener time). */
  startMs: number;
  endMs: number;
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

interface Waiter {
  frame(): void;
  digit(): void;
  ended(reason: string): void;
}

export class CallListener {
  private readonly vad: VoiceActivityDetector;
  private readonly tones = new ToneDetector({ frequencies: SUMMARY_TONES, minDurationMs: 200 });
  private t = 0;
  private history: Int16Array[] = [];
  private historyStartMs = 0;
  private readonly historyMs: number;
  readonly segments: SpeechSegment[] = [];
  readonly heardTones: HeardTone[] = [];
  readonly digits: Array<DtmfDigitEvent & { atMs: number }> = [];
  /** Digits received but not yet taken by a DTMF wait. */
  private unread: Array<DtmfDigitEvent & { atMs: number }> = [];
  private readonly waiters = new Set<Waiter>();
  private endReason: string | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private lastFrame: Int16Array = new Int16Array(160);

  constructor(private readonly source: ListenSource, private readonly clock: Clock, options: { vad?: VadOptions; historyMs?: number } = {}) {
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
    const first = Math.floor((from - this.historyStartMs) / FRAME_MS);
    const last = Math.ceil((Math.min(toMs, this.t) - this.historyStartMs) / FRAME_MS);
    const parts = this.history.slice(first, Math.max(first, last));
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Resolves when speech is heard (at once when speech is going on). */
  waitForSpeech(opts: { timeoutMs?: number } = {}): Promise<WaitResult> {
    if (this.inSpeech) {
      const seg = this.segments[this.segments.length - 1]!;
      return Promise.resolve({ atMs: seg.startMs, waitedMs: 0, detail: `speech going on since ${formatSeconds(this.t - seg.startMs)}` });
    }
    return this.wait('speech', opts.timeoutMs ?? 10_000, (start, done) => ({
      frame: () => {
        if (this.inSpeech) {
          const seg = this.segments[this.segments.length - 1]!;
          done({ atMs: seg.startMs, waitedMs: this.t - start, detail: `speech after ${formatSeconds(Math.max(0, seg.startMs - start))}` });
        }
      },
    }));
  }

  /**
   * Resolves once `minMs` of silence have been heard, counted from the wait's start at the earliest:
   * "send #, then wait for silence" must not pass on the silence before the next prompt began.
   */
  waitForSilence(opts: { minMs?: number; timeoutMs?: number } = {}): Promise<WaitResult> {
    const min = opts.minMs ?? 1500;
    return this.wait(`${formatSeconds(min)} of silence`, opts.timeoutMs ?? 30_000, (start, done) => ({
      frame: () => {
        if (this.inSpeech) return;
        const since = Math.max(start, this.t - this.vad.silenceMs);
        if (this.t - since >= min) {
          const heardSpeech = this.segments.some((s) => s.endMs === undefined || s.endMs > start);
          done({ atMs: since, waitedMs: this.t - start, detail: heardSpeech ? `silence after ${formatSeconds(since - start)} of speech` : `${formatSeconds(min)} of silence` });
        }
      },
    }));
  }

  /** Resolves when a steady tone at one of `frequencies` has lasted `minDurationMs`. */
  waitForTone(opts: { frequencies?: number[]; minDurationMs?: number; toleranceHz?: number; timeoutMs?: number } = {}): Promise<ToneWaitResult> {
    const freqs = opts.frequencies ?? [1000];
    const det = new ToneDetector({ frequencies: freqs, minDurationMs: opts.minDurationMs ?? 100, toleranceHz: opts.toleranceHz ?? 30 });
    const what = `a ${freqs.join(' or ')} Hz tone`;
    return this.wait(what, opts.timeoutMs ?? 30_000, (start, done) => {
      const push = (frame: Int16Array): void => {
        for (const e of det.push(frame)) {
          if (e.type === 'tone-start') {
            const at = this.t - (e.atMs - e.startMs);
            done({ atMs: at, waitedMs: this.t - start, frequency: e.frequency, detail: at < start ? `${e.frequency} Hz tone going on` : `${e.frequency} Hz tone after ${formatSeconds(at - start)}` });
          }
        }
      };
      return {
        frame: () => push(this.lastFrame),
        // A beep that began just before the wait (the previous step listened into it) still counts:
        // the detector first hears the last 300 ms.
        immediate: () => {
          const recent = this.audioBetween(this.t - 300);
          for (let i = 0; i + 160 <= recent.length; i += 160) push(recent.subarray(i, i + 160));
        },
      };
    });
  }

  /**
   * Waits for DTMF from the far end. Digits are buffered like a keyboard: a wait takes the digits that
   * arrived since the previous DTMF wait. With `exact`, the next digits must be `expected` (a
   * different digit fails at once); without, the wait skips digits until `expected` has come.
   * Without `expected`, any one digit satisfies it.
   */
  waitForDigits(opts: { expected?: string; exact?: boolean; timeoutMs?: number } = {}): Promise<DigitsWaitResult> {
    const expected = (opts.expected ?? '').toUpperCase();
    const what = expected ? `DTMF "${expected}"` : 'DTMF';
    return this.wait(what, opts.timeoutMs ?? 10_000, (start, done, fail) => {
      const check = (): void => {
        const got = this.unread.map((d) => d.digit).join('');
        if (!expected) {
          if (got.length === 0) return;
          const ev = this.unread.splice(0, 1);
          done({ atMs: ev[0]!.atMs, waitedMs: this.t - start, digits: got[0]!, events: ev, detail: `DTMF ${got[0]} (${ev[0]!.method})` });
          return;
        }
        if (opts.exact) {
          if (!expected.startsWith(got.slice(0, expected.length))) {
            this.unread = [];
            fail(new DtmfMismatchError(expected, got));
            return;
          }
          if (got.length < expected.length) return;
          const ev = this.unread.splice(0, expected.length);
          done({ atMs: ev[ev.length - 1]!.atMs, waitedMs: this.t - start, digits: expected, events: ev, detail: `DTMF ${expected} (${methods(ev)})` });
          return;
        }
        const at = got.indexOf(expected);
        if (at < 0) return;
        const ev = this.unread.splice(0, at + expected.length).slice(at);
        done({ atMs: ev[ev.length - 1]!.atMs, waitedMs: this.t - start, digits: expected, events: ev, detail: `DTMF ${expected} (${methods(ev)})` });
      };
      return { frame: () => undefined, digit: check, immediate: check };
    });
  }

  /** Resolves when the call ends (the far end hangs up, or anything else ends it). */
  waitForEnd(opts: { timeoutMs?: number } = {}): Promise<WaitResult & { reason: string }> {
    if (this.endReason !== undefined) return Promise.resolve({ atMs: this.t, waitedMs: 0, reason: this.endReason, detail: `call ended (${this.endReason})` });
    return this.wait('the call to end', opts.timeoutMs ?? 30_000, (start, done) => ({
      frame: () => undefined,
      ended: (reason) => done({ atMs: this.t, waitedMs: this.t - start, reason, detail: `call ended after ${formatSeconds(this.t - start)} (${reason})` }),
    }));
  }

  /** Records what is heard to `path` until silence after speech, a tone, a digit, the end of the call or `maxMs`. */
  record(path: string, opts: RecordOptions = {}): Promise<RecordResult> {
    if (!this.source.record) return Promise.reject(new UmphoneError('this call cannot record', 'CALL_STATE'));
    const until = opts.until ?? 'max';
    const maxMs = opts.maxMs ?? 60_000;
    const silenceMs = opts.silenceMs ?? 1500;
    const det = until === 'tone' ? new ToneDetector({ frequencies: opts.frequencies ?? [1000] }) : undefined;
    const rec = this.source.record(path, { stereo: opts.stereo ?? false });
    const keys = (opts.digits ?? '').toUpperCase();
    const start = this.t;
    const speechAtStart = this.inSpeech;
    return new Promise((resolve) => {
      const finish = (endedBy: RecordUntil, detail: string): void => {
        this.waiters.delete(w);
        timer.cancel();
        rec.stop();
        resolve({ atMs: this.t, waitedMs: this.t - start, path, durationMs: rec.durationMs, endedBy, detail });
      };
      const w: Waiter = {
        frame: () => {
          if (det) {
            for (const e of det.push(this.lastFrame)) if (e.type === 'tone-start') return finish('tone', `${formatSeconds(rec.durationMs)}, ended by a ${e.frequency} Hz tone`);
          }
          if (until === 'silence' && !this.inSpeech && this.vad.silenceMs >= silenceMs) {
            const spoke = speechAtStart || this.segments.some((s) => s.endMs === undefined || s.endMs > start);
            if (spoke) return finish('silence', `${formatSeconds(rec.durationMs)}, ended by ${formatSeconds(silenceMs)} of silence`);
          }
          if (this.t - start >= maxMs) finish('max', `${formatSeconds(rec.durationMs)} (the maximum)`);
        },
        digit: () => {
          if (until !== 'dtmf') return;
          const i = this.unread.findIndex((d) => keys === '' || keys.includes(d.digit));
          if (i < 0) return;
          const d = this.unread.splice(0, i + 1)[i]!;
          finish('dtmf', `${formatSeconds(rec.durationMs)}, ended by DTMF ${d.digit}`);
        },
        ended: (reason) => finish('hangup', `${formatSeconds(rec.durationMs)}, ended by the end of the call (${reason})`),
      };
      // The clock bounds the recording too, in case frames stop coming (a stalled media session).
      const timer = this.clock.setTimeout(() => finish('max', `${formatSeconds(rec.durationMs)} (the maximum)`), maxMs + 2000);
      this.waiters.add(w);
      if (this.endReason !== undefined) w.ended(this.endReason);
    });
  }

  /**
   * "Is what is said now this prompt?" Captures from the start of the current speech (or the next speech
   * to start within the timeout) until the reference's length plus a margin, or until a silence longer
   * than the reference's own longest pause, then compares fingerprints (media/analysis/fingerprint.ts).
   */
  expectPrompt(reference: Int16Array, opts: PromptOptions = {}): Promise<PromptResult> {
    const name = opts.name ?? 'the prompt';
    const threshold = opts.threshold ?? DEFAULT_MATCH_THRESHOLD;
    const ref = referenceShape(reference);
    const maxLen = ref.speechMs + (opts.marginMs ?? 1000);
    const pause = Math.max(700, ref.longestPauseMs + 400);
    // Phase 1 waits (with the timeout) for speech to start; phase 2 captures, whatever the clock says.
    let from: number | undefined;
    return this.wait(`${name} to start`, opts.timeoutMs ?? 10_000, (start, done, fail) => {
      const judge = (): void => {
        const heard = this.audioBetween(from!);
        const whole = comparePrompt(heard, reference, { threshold });
        let best = { score: whole.score, startMs: from!, endMs: this.t };
        if (!whole.matches && heard.length / 8 > ref.speechMs + 300) {
          // More was heard than the prompt (a beep or the next prompt right after it): look inside.
          const found = findPrompt(heard, reference, { threshold });
          if (found.score > best.score) best = { score: found.score, startMs: from! + found.startMs, endMs: from! + found.endMs };
        }
        if (best.score < threshold) {
          fail(new PromptMismatchError(name, best.score, threshold, `heard another prompt (${(heard.length / 8000).toFixed(1)} s of audio) instead of ${name}`));
          return;
        }
        done({ atMs: best.startMs, waitedMs: this.t - start, score: best.score, threshold, startMs: best.startMs, endMs: best.endMs, detail: `${name} heard (score ${best.score.toFixed(2)})` });
      };
      const step = (): void => {
        if (from === undefined) {
          if (!this.inSpeech) return;
          from = Math.max(this.segments[this.segments.length - 1]!.startMs - 100, this.historyStartMs);
        }
        const quietEnough = !this.inSpeech && this.vad.silenceMs >= pause;
        if (quietEnough && this.speechSince(from) < Math.min(250, ref.speechMs * 0.3)) {
          // A blip (a click as the stream starts, a cough), not a prompt: wait for real speech.
          from = undefined;
          return;
        }
        if (this.t - from >= maxLen || quietEnough) judge();
      };
      return {
        frame: step,
        immediate: step,
        ended: (reason) => {
          if (from !== undefined) judge();
          else fail(new CallEndedError(`${name} to start`, reason, this.describe(start, this.source.packetsReceived())));
        },
        onTimeout: () => from === undefined,
      };
    });
  }

  /** Listens until `reference` has been heard (anywhere in what is said from now on). */
  waitForPrompt(reference: Int16Array, opts: PromptOptions = {}): Promise<PromptResult> {
    const name = opts.name ?? 'the prompt';
    const threshold = opts.threshold ?? DEFAULT_MATCH_THRESHOLD;
    const ref = referenceShape(reference);
    const windowMs = ref.speechMs * 1.6 + 1500;
    let bestScore = 0;
    let lastCheck = 0;
    let wasSpeech = this.inSpeech;
    return this.wait(name, opts.timeoutMs ?? 30_000, (start, done, fail) => {
      const from0 = this.inSpeech ? Math.max(this.historyStartMs, this.segments[this.segments.length - 1]!.startMs - 100) : start;
      const check = (): void => {
        lastCheck = this.t;
        const from = Math.max(from0, this.t - windowMs);
        const heard = this.audioBetween(from);
        if (heard.length / 8 < ref.speechMs * 0.6) return;
        const f = findPrompt(heard, reference, { threshold });
        bestScore = Math.max(bestScore, f.score);
        if (f.matches) {
          done({ atMs: from + f.startMs, waitedMs: this.t - start, score: f.score, threshold, startMs: from + f.startMs, endMs: from + f.endMs, detail: `${name} heard after ${formatSeconds(from + f.startMs - start)} (score ${f.score.toFixed(2)})` });
        }
      };
      return {
        frame: () => {
          // Check when an utterance ends, and every second of ongoing speech (a prompt run into the next).
          const ended = wasSpeech && !this.inSpeech;
          wasSpeech = this.inSpeech;
          if (ended || (this.inSpeech && this.t - lastCheck >= 1000)) check();
        },
        timeoutDetail: () => `${bestScore > 0 ? `best score ${bestScore.toFixed(2)} < ${threshold}` : ''}`,
        // The far end may hang up right after saying it ("Goodbye" + BYE): judge what was heard last.
        ended: (reason) => {
          check();
          fail(new CallEndedError(name, reason, `${this.describe(start, 0)}${bestScore > 0 ? ` (best score ${bestScore.toFixed(2)} < ${threshold})` : ''}`));
        },
      };
    });
  }

  /** Milliseconds of speech heard since listener time `fromMs`. */
  private speechSince(fromMs: number): number {
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
    this.history.push(pcm.slice());
    while (this.history.length * FRAME_MS > this.historyMs) {
      this.history.shift();
      this.historyStartMs += FRAME_MS;
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
  private wait<R extends WaitResult>(
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

function methods(ev: DtmfDigitEvent[]): string {
  return [...new Set(ev.map((e) => (e.method === 'rfc4733' ? 'RFC 4733' : e.method === 'inband' ? 'in-band' : 'INFO')))].join(', ');
}

/** Length of the reference's speech and its longest internal pause (ms). */
function referenceShape(reference: Int16Array): { speechMs: number; longestPauseMs: number } {
  const segs = speechSegments(reference);
  if (segs.length === 0) return { speechMs: reference.length / 8, longestPauseMs: 0 };
  let longest = 0;
  for (let i = 1; i < segs.length; i++) longest = Math.max(longest, segs[i]!.startMs - segs[i - 1]!.endMs);
  return { speechMs: segs[segs.length - 1]!.endMs - segs[0]!.startMs, longestPauseMs: longest };
}
