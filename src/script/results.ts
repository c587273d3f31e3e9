/**
 * What a script run produced: per iteration (one call) the SIP outcome and redirect chain, each step
 * with its outcome and timing, the DTMF both ways, the speech the far end said (VAD segments: when
 * each prompt started and ended), the tones, the recordings and the RTP statistics. The JSON report is
 * this structure; the JUnit report and the exit code are derived from it.
 */
import type { RedirectHop } from '../phone/call-types.js';
import type { CallEndReason } from '../phone/end-reason.js';
import type { StepKind } from './types.js';
import type { CallQuality } from '../phone/call-quality.js';

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  index: number;
  line: number;
  label: string;
  kind: StepKind;
  status: StepStatus;
  /** ms since the iteration began. */
  startMs: number;
  durationMs: number;
  /** What happened ("speech after 0.9 s"), or why it was skipped. */
  detail?: string;
  /** Why it failed (the exact message). */
  error?: string;
  errorType?: string;
  /** Prompt steps: the match score and threshold. */
  score?: number;
  threshold?: number;
  recording?: { path: string; durationMs: number; endedBy: string };
}

export interface CallOutcome {
  direction: 'outgoing' | 'incoming';
  target: string;
  callId: string;
  answered: boolean;
  /** Final status of the INVITE (200, 486 ...). */
  status?: number;
  reason?: string;
  redirects: RedirectHop[];
  /** Why the call could not be set up. */
  setupError?: string;
  failureKind?: string;
  /** How the call ended (end-reason.ts), and the same in words. */
  end?: CallEndReason;
  endedBy?: string;
  durationMs: number;
  codec?: string;
  remoteRtp?: string;
  rtp?: {
    sent: { packets: number; bytes: number };
    received: { packets: number; lost: number; lossPercent: number; jitterMs: number; duplicates: number; outOfOrder: number };
  };
  /** The call's pcap (--pcap), when one was written. */
  pcap?: string;
  /** The call's quality figures (CallSummary.quality, docs/quality.md). */
  quality?: CallQuality;
}

export interface DigitRecord {
  digit: string;
  method: string;
  /** ms since the iteration began. */
  atMs: number;
  durationMs: number;
}

export interface IterationResult {
  index: number;
  name: string;
  vars: Record<string, string>;
  startedAt: string;
  durationMs: number;
  passed: boolean;
  /** The call could not be set up and no step expected that. */
  setupFailed: boolean;
  call: CallOutcome;
  steps: StepResult[];
  dtmf: { sent: DigitRecord[]; received: DigitRecord[] };
  /** What the far end said: speech segments (ms since the iteration began). */
  speech: Array<{ startMs: number; endMs: number | null }>;
  tones: Array<{ frequency: number; startMs: number; endMs: number | null }>;
  recordings: Array<{ path: string; durationMs?: number }>;
  /** The console timeline lines of this iteration. */
  timeline: string[];
}

export interface RunResult {
  script: string;
  name: string;
  startedAt: string;
  durationMs: number;
  passed: boolean;
  exitCode: number;
  iterations: IterationResult[];
}

/** Exit codes of `umphone run`. */
export const RunExit = {
  passed: 0,
  stepFailed: 1,
  badScript: 2,
  setupFailed: 3,
} as const;

export function exitCodeOf(iterations: IterationResult[]): number {
  if (iterations.some((i) => i.setupFailed)) return RunExit.setupFailed;
  if (iterations.some((i) => !i.passed)) return RunExit.stepFailed;
  return RunExit.passed;
}
