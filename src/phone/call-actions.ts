/**
 * What a user does with a call once its media runs, placed or answered alike, in the style of
 * Playwright: actions and waits are methods of the call, options come in one bag, every duration is
 * in milliseconds (`timeout`, `duration`). Before the media exists each fails with CallStateError.
 */
import type { DtmfModeRequest } from '../media/dtmf/index.js';
import { loadWavForPlayback } from '../media/wav/reader.js';
import type { Recording } from './media-session.js';
import { CallCore } from './call-core.js';
import { CallStateError, type AudioSource } from './call-types.js';
import type { CallListener } from './waits.js';
import { WaitTimeoutError } from './wait-types.js';
import type {
  DigitsOptions, DigitsWaitResult, PromptOptions, PromptResult, RecordOptions, RecordResult,
  SilenceOptions, ToneOptions, ToneWaitResult, WaitOptions, WaitResult,
} from './wait-types.js';

/** A prompt to listen for: a WAV's path, its decoded audio, or 8 kHz samples. */
export type PromptReference = AudioSource | Int16Array;

export abstract class CallActions extends CallCore {
  /**
   * Send DTMF ("1234#", "," = a pause of 500 ms); resolves once the last key has been sent. The
   * method is the call's `dtmf.mode` (default auto: RFC 4733 when negotiated, else in-band) unless
   * `mode` says otherwise.
   */
  sendDtmf(digits: string, options: { mode?: DtmfModeRequest } = {}): Promise<void> {
    if (!this.media) return Promise.reject(this.noMedia('send DTMF'));
    return this.media.sendDtmf(digits, options.mode);
  }

  /** Play audio into the call (instead of the microphone); resolves when all of it has been sent. */
  async play(audio: AudioSource, options: { loop?: boolean } = {}): Promise<void> {
    const samples = typeof audio === 'string' ? await loadWavForPlayback(audio) : audio;
    if (!this.media) throw this.noMedia('play');
    return this.media.play(samples, options);
  }

  /** Stop what `play()` is playing (its promise resolves). */
  stopPlayback(): void {
    this.media?.stopPlayback();
  }

  /**
   * Record until something ends it: silence after speech, a tone, a digit, the end of the call, or
   * `maxDuration`. Resolves with what was recorded. For a recording you stop yourself: `startRecording`.
   */
  record(path: string, options: RecordOptions = {}): Promise<RecordResult> {
    return this.ask((l) => l.record(path, options));
  }

  /** Start recording what the far end says (stereo: left = received, right = sent); `stop()` the handle. */
  startRecording(path: string, options: { stereo?: boolean } = {}): Recording {
    if (!this.media) throw this.noMedia('record');
    return this.keepRecording(this.media.record(path, options));
  }

  /** Resolves when the far end speaks (at once if it is speaking). Default timeout 10 s. */
  waitForSpeech(options: WaitOptions = {}): Promise<WaitResult> {
    return this.ask((l) => l.waitForSpeech(options));
  }

  /** Resolves after `duration` ms of silence (default 1500), counted from now at the earliest. Default timeout 30 s. */
  waitForSilence(options: SilenceOptions = {}): Promise<WaitResult> {
    return this.ask((l) => l.waitForSilence(options));
  }

  /** Resolves when a steady tone at one of `frequencies` (default 1000 Hz) has lasted `duration` ms. */
  waitForTone(options: ToneOptions = {}): Promise<ToneWaitResult> {
    return this.ask((l) => l.waitForTone(options));
  }

  /**
   * Resolves when the far end has sent `digits` (or any one digit). Digits are buffered like a
   * keyboard: a wait takes those that arrived since the previous one. Default timeout 10 s.
   */
  waitForDigits(options: DigitsOptions = {}): Promise<DigitsWaitResult> {
    return this.ask((l) => l.waitForDigits(options));
  }

  /** Listens until the prompt `reference` has been heard. Default timeout 30 s. */
  async waitForPrompt(reference: PromptReference, options: PromptOptions = {}): Promise<PromptResult> {
    const ref = await referenceOf(reference, options);
    return this.ask((l) => l.waitForPrompt(ref.samples, ref.options));
  }

  /** "Is what is said now this prompt?": fails with PromptMismatchError when another one is heard. Default timeout 10 s. */
  async expectPrompt(reference: PromptReference, options: PromptOptions = {}): Promise<PromptResult> {
    const ref = await referenceOf(reference, options);
    return this.ask((l) => l.expectPrompt(ref.samples, ref.options));
  }

  /** Resolves when the call ends, however it ends, with or without media. Default timeout 30 s. */
  waitForEnd(options: WaitOptions = {}): Promise<WaitResult> {
    if (this.media) return this.ask((l) => l.waitForEnd(options));
    // No audio to time it by (ringing, or ended unanswered): the clock does.
    const timeout = options.timeout ?? 30_000;
    const clock = this.ctx.clock;
    const start = clock.now();
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(new WaitTimeoutError('the call to end', timeout, `nothing (${this.state}, no media)`)), timeout);
      void this.ended.then((s) => {
        timer.cancel();
        const waitedMs = clock.now() - start;
        resolve({ atMs: 0, waitedMs, detail: `call ended (${s.endedBy ?? 'ended'})` });
      });
    });
  }

  private noMedia(what: string): CallStateError {
    return new CallStateError(`cannot ${what}: the call has no media yet (${this.state})`);
  }

  /** A wait on the listener, as a rejection (not a throw) when there is none yet. */
  private ask<R>(wait: (l: CallListener) => Promise<R>): Promise<R> {
    try {
      return wait(this.listener());
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** The reference samples, and the file name as the prompt's name unless one is given. */
async function referenceOf(reference: PromptReference, options: PromptOptions): Promise<{ samples: Int16Array; options: PromptOptions }> {
  if (reference instanceof Int16Array) return { samples: reference, options };
  if (typeof reference !== 'string') return { samples: reference.samples, options };
  const audio = await loadWavForPlayback(reference);
  return { samples: audio.samples, options: { name: reference.replace(/^.*\//, ''), ...options } };
}
