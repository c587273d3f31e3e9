/**
 * umphone's public API: the phone (place and take calls), the waits on a call's audio, and caller
 * scripts (parse, run, report).
 *
 *   import { Phone, listenTo, RealClock } from 'umphone';
 *   const phone = await Phone.create();
 *   const call = await phone.call('sip:680@um.example.com;transport=tcp', { from: '111', diversion: ['613'] });
 *   const ear = listenTo(call, phone.clock);
 *   await ear.waitForSpeech({ timeoutMs: 5_000 });
 *   await ear.record('greeting.wav', { until: 'silence', maxMs: 30_000 });
 *   await call.sendDtmf('#');
 *   await ear.waitForSilence({ minMs: 1_500 });
 *   await call.hangup();
 */
export { Phone, type PhoneOptions } from './phone/phone.js';
export { VERSION } from './phone/version.js';
export { Call, type CallOptions } from './phone/call.js';
export { CallFailedError, CallStateError, type CallEvent, type CallSummary, type CallState, type RedirectHop } from './phone/call-types.js';
export type { CallEndReason } from './phone/end-reason.js';
export type { DtmfSettings, Recording } from './phone/media-session.js';
export {
  WaitTimeoutError, CallEndedError, PromptMismatchError, DtmfMismatchError, type WaitResult, type ToneWaitResult, type DigitsWaitResult,
  type RecordOptions, type RecordResult, type PromptOptions, type PromptResult,
} from './phone/waits.js';
export { loadWavForPlayback, type PlaybackAudio } from './media/wav/reader.js';
export { RealClock, ManualClock, type Clock } from './util/clock.js';
export * from './script/index.js';
