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
import { speechSegments } from '../media/analysis/vad.js';
import { ToneDetector } from '../media/analysis/tone.js';
import { comparePrompt, DEFAULT_MATCH_THRESHOLD } from '../media/analysis/fingerprint.js';
import { findPrompt } from '../media/analysis/prompt-match.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import { formatSeconds } from './heard.js';
import { ListenerCore, type Waiter } from './listener-core.js';
import { CallStateError } from './call-types.js';
import {
  CallEndedError, DtmfMismatchError, PromptMismatchError,
  type DigitsOptions, type DigitsWaitResult, type PromptOptions, type PromptResult, type RecordOptions, type RecordResult,
  type RecordUntil, type SilenceOptions, type ToneOptions, type ToneWaitResult, type WaitOptions, type WaitResult,
} from './wait-types.js';

export type { ListenSource, SpeechSegment, HeardTone } from './listener-core.js';

export class CallListener extends ListenerCore {

  /** Resolves when speech is heard (at once when speech is going on). */
  waitForSpeech(opts: WaitOptions = {}): Promise<WaitResult> {
    if (this.inSpeech) {
      const seg = this.segments[this.segments.length - 1]!;
      return Promise.resolve({ atMs: seg.startMs, waitedMs: 0, detail: `speech going on since ${formatSeconds(this.t - seg.startMs)}` });
    }
    return this.wait('speech', opts.timeout ?? 10_000, (start, done) => ({
      frame: () => {
        if (this.inSpeech) {
          const seg = this.segments[this.segments.length - 1]!;
          done({ atMs: seg.startMs, waitedMs: this.t - start, detail: `speech after ${formatSeconds(Math.max(0, seg.startMs - start))}` });
        }
      },
    }));
  }

  /**
   * Resolves once `duration` ms of silence have been heard, counted from the wait's start at the earliest:
   * "send #, then wait for silence" must not pass on the silence before the next prompt began.
   */
  waitForSilence(opts: SilenceOptions = {}): Promise<WaitResult> {
    const min = opts.duration ?? 1500;
    return this.wait(`${formatSeconds(min)} of silence`, opts.timeout ?? 30_000, (start, done) => ({
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

  /** Resolves when a steady tone at one of `frequencies` has lasted `duration` ms. */
  waitForTone(opts: ToneOptions = {}): Promise<ToneWaitResult> {
    const freqs = opts.frequencies ?? [1000];
    const det = new ToneDetector({ frequencies: freqs, minDurationMs: opts.duration ?? 100, toleranceHz: opts.tolerance ?? 30 });
    const what = `a ${freqs.join(' or ')} Hz tone`;
    return this.wait(what, opts.timeout ?? 30_000, (start, done) => {
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
   * arrived since the previous DTMF wait. With `exact`, the next digits must be `digits` (a
   * different digit fails at once); without, the wait skips digits until `digits` have come.
   * Without `digits`, any one digit satisfies it.
   */
  waitForDigits(opts: DigitsOptions = {}): Promise<DigitsWaitResult> {
    const expected = (opts.digits ?? '').toUpperCase();
    const what = expected ? `DTMF "${expected}"` : 'DTMF';
    return this.wait(what, opts.timeout ?? 10_000, (start, done, fail) => {
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
  waitForEnd(opts: WaitOptions = {}): Promise<WaitResult & { reason: string }> {
    if (this.endReason !== undefined) return Promise.resolve({ atMs: this.t, waitedMs: 0, reason: this.endReason, detail: `call ended (${this.endReason})` });
    return this.wait('the call to end', opts.timeout ?? 30_000, (start, done) => ({
      frame: () => undefined,
      ended: (reason) => done({ atMs: this.t, waitedMs: this.t - start, reason, detail: `call ended after ${formatSeconds(this.t - start)} (${reason})` }),
    }));
  }

  /** Records what is heard to `path` until silence after speech, a tone, a digit, the end of the call or `maxDuration`. */
  record(path: string, opts: RecordOptions = {}): Promise<RecordResult> {
    if (!this.source.record) return Promise.reject(new CallStateError('this call cannot record'));
    const until = opts.until ?? 'max';
    const maxMs = opts.maxDuration ?? 60_000;
    const silenceMs = opts.silence ?? 1500;
    const det = until === 'tone' ? new ToneDetector({ frequencies: opts.frequencies ?? [1000] }) : undefined;
    const rec = this.source.record(path, { stereo: opts.stereo ?? false });
    const keys = (opts.digits ?? '').toUpperCase();
    const start = this.t;
    const speechAtStart = this.inSpeech;
    return new Promise((resolve) => {
      const finish = (stoppedBy: RecordUntil, detail: string): void => {
        this.waiters.delete(w);
        timer.cancel();
        rec.stop();
        resolve({ atMs: this.t, waitedMs: this.t - start, path, durationMs: rec.durationMs, stoppedBy, detail });
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
    const maxLen = ref.speechMs + (opts.margin ?? 1000);
    const pause = Math.max(700, ref.longestPauseMs + 400);
    // Phase 1 waits (with the timeout) for speech to start; phase 2 captures, whatever the clock says.
    let from: number | undefined;
    return this.wait(`${name} to start`, opts.timeout ?? 10_000, (start, done, fail) => {
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
    return this.wait(name, opts.timeout ?? 30_000, (start, done, fail) => {
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
