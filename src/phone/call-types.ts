/**
 * The data a call hands out, whichever side placed it: its state, its events, its summary, the media
 * options both `phone.dial()` and `incomingCall.answer()` take, and the errors of a call's life.
 */
import { UmphoneError } from '../util/errors.js';
import type { AudioCodecName } from '../sdp/index.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import type { AudioInput, AudioOutput } from '../media/device/device.js';
import type { DtmfSettings } from './media-session.js';
import type { TransferRequest } from './refer.js';
import type { MessageSummary } from './message-summary.js';
import { failureMessage, type CallEndReason } from './end-reason.js';
import type { CallQuality } from './call-quality.js';
import type { SdesSuiteName } from '../sdp/index.js';
import type { SrtpMode, SrtpSummary } from './call-srtp.js';

/**
 * calling (INVITE sent) → ringing (a provisional came) → answered → ending (we sent BYE or CANCEL) →
 * ended. An incoming call starts at ringing. `ended` is final; every change goes through the call
 * core's one guarded transition.
 */
export type CallState = 'calling' | 'ringing' | 'answered' | 'ending' | 'ended';

export type CallEvent =
  /** A target of the redirect chain is being tried (depth: 3xx hops that led to it). */
  | { type: 'attempt'; uri: string; q?: number; depth: number }
  | { type: 'provisional'; status: number; reason: string }
  | { type: 'redirect'; status: number; reason: string; targets: string[] }
  /** Answered and media flowing: the codec and where our RTP goes. */
  | { type: 'answered'; status: number; codec: string; remote: string }
  /** A DTMF digit from the far end (RFC 4733, in-band or SIP INFO). */
  | { type: 'digit'; digit: DtmfDigitEvent }
  | { type: 'warning'; message: string }
  /** The peer sent REFER (RFC 3515): claim() the transfer to follow it, else it is declined. */
  | { type: 'transfer'; transfer: TransferRequest }
  /** A message-summary NOTIFY (RFC 3842) in the dialog. */
  | { type: 'voicemail'; summary: MessageSummary }
  /** The peer's re-INVITE/UPDATE put us on hold or resumed (RFC 3264 §8.4). */
  | { type: 'hold'; onHold: boolean }
  | { type: 'ended'; end: CallEndReason };

export interface RedirectHop {
  uri: string;
  q?: number;
  depth: number;
  status?: number;
  reason?: string;
}

/** What a call did, from dial (or the INVITE's arrival) to its end; the `--json` output of `umphone call`. */
export interface CallSummary {
  /** The target dialled, or for an incoming call the Request-URI. */
  target: string;
  callId: string;
  state: CallState;
  /** Final SIP status of the INVITE (200, 486 ...), or undefined when none came. */
  status?: number;
  /** Its reason phrase. */
  reason?: string;
  redirects: RedirectHop[];
  answeredAtMs?: number;
  durationMs: number;
  /** How the call ended (undefined while it goes on). */
  end?: CallEndReason;
  /** `end` in words: "remote (BYE)", "486 Busy Here", "media timeout (no RTP for 30 s)". */
  endedBy?: string;
  codec?: string;
  remoteRtp?: string;
  rtp?: {
    sent: { packets: number; bytes: number };
    received: { packets: number; lost: number; lossPercent: number; jitterMs: number; duplicates: number; outOfOrder: number };
  };
  /** SRTP in use (suite, packets protected and decrypted, drops by reason); absent for plain RTP. */
  srtp?: SrtpSummary;
  dtmf: { sent: DtmfDigitEvent[]; received: DtmfDigitEvent[] };
  recordings: string[];
  /** The pcap file written for this call (`pcap` option), once its first packet opened it. */
  pcap?: string;
  /**
   * The quality model (docs/quality.md): MOS and R of the received stream, loss with its bursts, jitter,
   * RTT, late discards, what the peer's RTCP says of our stream, one row per second, post-dial delay and
   * one-way audio. Present on every call; the stream figures are empty when no media ran.
   */
  quality?: CallQuality;
}

/** Audio to play: decoded samples (`loadWavForPlayback`), or the path of a WAV file. */
export type AudioSource = PlaybackAudio | string;

/** The media options of a call, placed (`CallOptions`) or answered (`AnswerOptions`). */
export interface CallMediaOptions {
  /** Codecs, in order of preference. Default PCMU, PCMA. */
  codecs?: AudioCodecName[];
  dtmf?: DtmfSettings;
  /** Accept RTP from whatever source sends first (symmetric RTP latching). */
  latch?: boolean;
  output?: AudioOutput;
  input?: AudioInput;
  /** Record what the far end says to this WAV from the answer on. */
  record?: string;
  /** Record stereo: left = received, right = sent. */
  recordBoth?: boolean;
  /** Play this audio into the call once answered (a path is read then; a bad file is a 'warning' event). */
  play?: AudioSource;
  loop?: boolean;
  /** End the call when no RTP arrives for this long, in milliseconds. Default 30 000; 0 = never. */
  rtpTimeout?: number;
  /**
   * SRTP with SDES keys (RFC 3711, RFC 4568; use it over TLS: the keys travel in the SDP). 'off' (default):
   * plain RTP, RTP/SAVP offers refused. 'optional': offer RTP/AVP with a=crypto and use SRTP if the answer
   * has a key; answer SRTP when the offer has one. 'mandatory': offer RTP/SAVP and end the call if the
   * answer has no usable key; refuse offers without one (488 with a Warning).
   */
  srtp?: SrtpMode;
  /** SRTP suites, in order of preference (offer) or accepted (answer). Default AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32. */
  srtpSuites?: SdesSuiteName[];
}

/** `answered` rejects with this when the call could not be set up; `end` says why. */
export class CallFailedError extends UmphoneError {
  declare readonly code: 'CALL_FAILED';
  constructor(readonly end: CallEndReason, readonly summary: CallSummary, message = failureMessage(end)) {
    super(message, 'CALL_FAILED');
  }

  /** The final SIP status of the INVITE, when one came (486, 488 ...). */
  get status(): number | undefined {
    return this.summary.status;
  }
}

/** An action the call cannot take in its state (DTMF before media, a wait on an ended call ...). */
export class CallStateError extends UmphoneError {
  declare readonly code: 'CALL_STATE';
  constructor(message: string) {
    super(message, 'CALL_STATE');
  }
}
