/**
 * The options and results of the waits on a call (`call.waitForSpeech()`, `call.record()` ...) and the
 * errors they fail with. Every duration given is a number of milliseconds named without a unit, as in
 * Playwright (`timeout`, `duration`); the results are data and keep the unit in their names (`atMs`).
 */
import { UmphoneError } from '../util/errors.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import { formatSeconds } from './heard.js';

export interface WaitOptions {
  /** How long to wait, in milliseconds. Default 10 000 for speech and DTMF, 30 000 for the others. */
  timeout?: number;
}

export interface SilenceOptions extends WaitOptions {
  /** How much silence, in milliseconds, counted from the wait's start at the earliest. Default 1500. */
  duration?: number;
}

export interface ToneOptions extends WaitOptions {
  /** The tone's possible frequencies (Hz). Default [1000]. */
  frequencies?: number[];
  /** How long the tone must last, in milliseconds. Default 100. */
  duration?: number;
  /** How far off a frequency may be (Hz). Default 30. */
  tolerance?: number;
}

export interface DigitsOptions extends WaitOptions {
  /** The digits to wait for; without, any one digit. */
  digits?: string;
  /** The next digits must be exactly `digits` (another digit fails at once); else others are skipped. */
  exact?: boolean;
}

export interface PromptOptions extends WaitOptions {
  /** Name for messages. Default the file name, or "the prompt". */
  name?: string;
  /** Match score needed, 0..1. Default 0.5. */
  threshold?: number;
  /** expectPrompt: audio captured beyond the reference's length, in milliseconds. Default 1000. */
  margin?: number;
}

/** What ends `call.record()`: silence after speech, a tone, a DTMF digit, the end of the call, or its maximum length. */
export type RecordUntil = 'silence' | 'tone' | 'dtmf' | 'hangup' | 'max';

export interface RecordOptions {
  /** What ends the recording (besides `maxDuration` and the end of the call). Default 'max'. */
  until?: RecordUntil;
  /** The longest recording, in milliseconds. Default 60 000. */
  maxDuration?: number;
  /** until 'silence': this much silence after speech ends it, in milliseconds. Default 1500. */
  silence?: number;
  /** until 'tone': the frequencies (Hz). Default [1000]. */
  frequencies?: number[];
  /** until 'dtmf': only these keys end it. Default any. */
  digits?: string;
  /** Stereo: left = what the far end says, right = what we send. */
  stereo?: boolean;
}

export interface WaitResult {
  /** When the event waited for happened: ms of audio heard since the call's media started. */
  atMs: number;
  /** How long the wait took (ms of audio heard). */
  waitedMs: number;
  /** One line for a timeline: "speech after 0.9 s". */
  detail: string;
}

export interface ToneWaitResult extends WaitResult {
  frequency: number;
}

export interface DigitsWaitResult extends WaitResult {
  digits: string;
  events: DtmfDigitEvent[];
}

export interface RecordResult extends WaitResult {
  path: string;
  durationMs: number;
  /** What ended the recording. */
  stoppedBy: RecordUntil;
}

export interface PromptResult extends WaitResult {
  score: number;
  threshold: number;
  /** Where the heard prompt started and ended (ms, as `atMs`). */
  startMs: number;
  endMs: number;
}

/** A wait ran out of time; the message says what was heard instead. */
export class WaitTimeoutError extends UmphoneError {
  declare readonly code: 'WAIT_TIMEOUT';
  constructor(readonly what: string, /** The timeout that ran out (ms). */ readonly timeout: number, readonly heard: string) {
    super(`timed out after ${formatSeconds(timeout)} waiting for ${what}: heard ${heard}`, 'WAIT_TIMEOUT');
  }
}

/** The call ended while a wait was on. */
export class CallEndedError extends UmphoneError {
  declare readonly code: 'WAIT_CALL_ENDED';
  constructor(readonly what: string, /** How the call ended, in words (the summary's `endedBy`). */ readonly endedBy: string, readonly heard: string) {
    super(`the call ended (${endedBy}) while waiting for ${what}: heard ${heard}`, 'WAIT_CALL_ENDED');
  }
}

/** expectPrompt heard another prompt. */
export class PromptMismatchError extends UmphoneError {
  declare readonly code: 'PROMPT_MISMATCH';
  constructor(readonly prompt: string, readonly score: number, readonly threshold: number, detail: string) {
    super(`${detail} (score ${score.toFixed(2)} < ${threshold})`, 'PROMPT_MISMATCH');
  }
}

/** waitForDigits with `exact` received other digits. */
export class DtmfMismatchError extends UmphoneError {
  declare readonly code: 'DTMF_MISMATCH';
  constructor(readonly expected: string, readonly received: string) {
    super(`expected DTMF "${expected}" but received "${received}"`, 'DTMF_MISMATCH');
  }
}
