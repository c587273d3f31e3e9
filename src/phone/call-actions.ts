/**
 * What a user does with a call once its media runs, placed or answered alike: send DTMF, play audio,
 * record, and wait for what the far end says (waits.ts does the listening). Each fails with
 * CallStateError before the media exists.
 */
import type { DtmfModeRequest } from '../media/dtmf/index.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import type { Recording } from './media-session.js';
import { CallCore } from './call-core.js';
import { CallStateError } from './call-types.js';
import type { CallListener, DigitsWaitResult, PromptOptions, PromptResult, RecordOptions, RecordResult, ToneWaitResult, WaitResult } from './waits.js';

export abstract class CallActions extends CallCore {
  /** Send DTMF into the call ("1234#", "," = 500 ms pause); resolves when sent. */
  sendDtmf(sequence: string, mode?: DtmfModeRequest): Promise<void> {
    if (!this.media) return Promise.reject(new CallStateError('cannot send DTMF: the call has no media yet'));
    return this.media.sendDtmf(sequence, mode);
  }

  /** Start recording what the far end says (stereo: left = received, right = sent). */
  record(path: string, opts: { stereo?: boolean } = {}): Recording {
    if (!this.media) throw new CallStateError('cannot record: the call has no media yet');
    return this.keepRecording(this.media.record(path, opts));
  }

  /** Play audio into the call; resolves when it has been sent. */
  play(audio: PlaybackAudio, opts: { loop?: boolean } = {}): Promise<void> {
    if (!this.media) return Promise.reject(new CallStateError('cannot play: the call has no media yet'));
    return this.media.play(audio, opts);
  }

  waitForSpeech(opts: { timeout?: number } = {}): Promise<WaitResult> {
    return this.ask((l) => l.waitForSpeech(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}));
  }

  waitForSilence(opts: { min?: number; timeout?: number } = {}): Promise<WaitResult> {
    return this.ask((l) => l.waitForSilence({ ...(opts.min !== undefined ? { minMs: opts.min } : {}), ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) }));
  }

  waitForTone(opts: { frequencies?: number[]; timeout?: number } = {}): Promise<ToneWaitResult> {
    return this.ask((l) => l.waitForTone({ ...(opts.frequencies ? { frequencies: opts.frequencies } : {}), ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) }));
  }

  waitForDtmf(opts: { digits?: string; timeout?: number } = {}): Promise<DigitsWaitResult> {
    return this.ask((l) => l.waitForDigits({ ...(opts.digits ? { expected: opts.digits } : {}), ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}) }));
  }

  waitForEnd(opts: { timeout?: number } = {}): Promise<WaitResult> {
    return this.ask((l) => l.waitForEnd(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}));
  }

  /** Record until silence after speech, a tone, a digit, the end of the call or `maxMs` (see waits.ts). */
  recordUntil(path: string, opts: RecordOptions): Promise<RecordResult> {
    return this.ask((l) => l.record(path, opts));
  }

  expectPrompt(reference: Int16Array, opts: PromptOptions = {}): Promise<PromptResult> {
    return this.ask((l) => l.expectPrompt(reference, opts));
  }

  waitForPrompt(reference: Int16Array, opts: PromptOptions = {}): Promise<PromptResult> {
    return this.ask((l) => l.waitForPrompt(reference, opts));
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
