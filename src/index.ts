/**
 * umphone's public API: a phone that places and takes SIP calls, and on each call the actions and waits
 * of a test (Playwright style: methods of the call, one options bag, every duration in milliseconds).
 * docs/library.md is the reference by example; test/docs/examples.test.ts compiles every example of it
 * against this file.
 *
 *   import { Phone } from 'umphone';
 *   const phone = await Phone.create({ localIp: '10.0.0.20' });
 *   const call = await phone.call('sip:680@um.example.com;transport=tcp', { from: '111', diversion: ['613'] });
 *   await call.waitForSpeech({ timeout: 5_000 });
 *   await call.sendDtmf('#');
 *   const summary = await call.hangup();
 *   await phone.close();
 *
 * Everything else in src/ is internal: importable by umphone's own layers, not exported here.
 */

// The phone, its calls, and taking calls
export { Phone, VERSION, type PhoneOptions } from './phone/phone.js';
export { Call, type CallOptions } from './phone/call.js';
export { IncomingCall, type AnswerOptions } from './phone/incoming-call.js';
export { Listener, ListenerTimeoutError, type ListenerOptions, type ListenerEvent } from './phone/listener.js';
export { AddressFilterError, type AddressFilter } from './phone/address-filter.js';
export {
  CallFailedError, CallStateError,
  type AudioSource, type CallEvent, type CallMediaOptions, type CallState, type CallSummary, type RedirectHop,
} from './phone/call-types.js';
export type { CallEndReason, CallEndKind, EndedBy } from './phone/end-reason.js';
export type { CallQuality } from './phone/call-quality.js';
export type { SecondRow, StreamQualitySummary } from './rtp/quality/stream-quality.js';
export type { LossRunsSummary } from './rtp/quality/loss-runs.js';
export type { PostDialDelayResult } from './rtp/quality/post-dial-delay.js';
export type { OneWayAudioResult, AudioSide } from './rtp/quality/one-way-audio.js';
export type { PromptReference } from './phone/call-actions.js';
export { MediaError, type DtmfSettings, type Recording } from './phone/media-session.js';
export type { TransferRequest } from './phone/refer.js';
export type { MessageSummary, MessageCounts } from './phone/message-summary.js';

// Waits on what the far end says
export {
  WaitTimeoutError, CallEndedError, PromptMismatchError, DtmfMismatchError,
  type WaitOptions, type SilenceOptions, type ToneOptions, type DigitsOptions, type PromptOptions,
  type RecordOptions, type RecordUntil,
  type WaitResult, type ToneWaitResult, type DigitsWaitResult, type RecordResult, type PromptResult,
} from './phone/wait-types.js';

// Audio, DTMF, SIP details that appear in the types above
export { loadWavForPlayback, type PlaybackAudio } from './media/wav/reader.js';
export { WavFormatError } from './media/wav/format.js';
export { DtmfSequenceError, type DtmfDigitEvent, type DtmfModeRequest } from './media/dtmf/index.js';
export type { AudioCodecName, SdesSuiteName } from './sdp/index.js';
export type { SrtpMode, SrtpSummary } from './phone/call-srtp.js';
export type { TraceEvent } from './sip/transport/transport.js';

// Errors: one base class, a stable `code` per subclass
export { UmphoneError } from './util/errors.js';
export { CallAddressError } from './phone/call-headers.js';
