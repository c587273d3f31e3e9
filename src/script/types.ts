/**
 * A caller script, as parsed and checked: every iteration fully resolved (variables substituted,
 * durations in ms, referenced WAVs loaded), so a bad script fails before any call is placed.
 */
import type { VadOptions } from '../media/analysis/vad.js';
import type { DtmfModeRequest } from '../media/dtmf/index.js';
import type { AudioCodecName, SdesSuiteName } from '../sdp/index.js';
import type { SrtpMode } from '../phone/call-srtp.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import type { QualityThreshold } from './quality-thresholds.js';

export interface StepBase {
  /** Line of the step in the script. */
  line: number;
  /** What the timeline and the reports call it: "wait_for speech", "expect prompt enter-pin.wav". */
  label: string;
}

export type RecordUntil = 'silence' | 'tone' | 'dtmf' | 'hangup' | 'max';

export type Step = StepBase & (
  | { kind: 'wait_speech'; timeoutMs: number }
  | { kind: 'wait_silence'; minMs: number; timeoutMs: number }
  | { kind: 'wait_tone'; frequencies: number[]; minDurationMs: number; timeoutMs: number }
  | { kind: 'wait_dtmf'; digits: string | undefined; timeoutMs: number }
  | { kind: 'wait_prompt'; file: string; audio: Int16Array; threshold: number | undefined; timeoutMs: number }
  | { kind: 'wait_hangup'; timeoutMs: number }
  | { kind: 'record'; file: string; until: RecordUntil; maxMs: number; silenceMs: number; frequencies: number[]; digits: string | undefined; stereo: boolean }
  | { kind: 'play'; file: string; playback: PlaybackAudio; wait: boolean; loop: boolean }
  | { kind: 'dtmf'; digits: string; mode: DtmfModeRequest | undefined }
  | { kind: 'pause'; ms: number }
  | { kind: 'hangup' }
  | { kind: 'expect_sip'; statuses: number[]; chain: boolean }
  | { kind: 'expect_dtmf'; digits: string; timeoutMs: number }
  | { kind: 'expect_prompt'; file: string; audio: Int16Array; threshold: number | undefined; marginMs: number | undefined; timeoutMs: number }
  | { kind: 'expect_hangup'; timeoutMs: number }
  /** Quality thresholds, checked against the call's figures at this point (after hangup: the whole call). */
  | { kind: 'expect_quality'; thresholds: QualityThreshold[] }
);

export type StepKind = Step['kind'];

export interface CallHeader {
  line: number;
  target: string;
  from?: string;
  name?: string;
  to?: string;
  diversion: string[];
  diversionReason?: string;
  historyInfo: boolean;
  codecs?: AudioCodecName[];
  dtmfMode?: DtmfModeRequest;
  headers: Array<[string, string]>;
  /** Record the whole call (what is heard) to this file. */
  record?: string;
  maxRedirects?: number;
  /** How long to wait for the answer. */
  setupTimeoutMs: number;
  /** End the call when no RTP arrives for this long (the phone's default 30 s when absent; 0 = never). */
  rtpTimeoutMs?: number;
  /** SRTP for this call (the `srtp` call option); unset: the command line's --srtp. */
  srtp?: SrtpMode;
  srtpSuites?: SdesSuiteName[];
}

export interface ListenHeader {
  line: number;
  /** How long to wait for the incoming call. */
  timeoutMs: number;
  /** Answer after ringing this long. */
  answerAfterMs: number;
}

export interface Iteration {
  /** 1-based. */
  index: number;
  /** "ext=613 pin=1234": the row's variables, for names in the timeline and the reports. */
  label: string;
  vars: Record<string, string>;
  call?: CallHeader;
  listen?: ListenHeader;
  steps: Step[];
}

export interface Script {
  file: string;
  name: string;
  vad?: VadOptions;
  iterations: Iteration[];
}
