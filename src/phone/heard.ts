/**
 * "What was heard instead": one short phrase describing a stretch of a call's received audio, for the
 * message of a wait that timed out and for the timeline ("heard speech for 5.0 s", "heard nothing at
 * all (no RTP)", "heard a 1000 Hz tone, then silence for 2.1 s").
 */
import type { DtmfDigitEvent } from '../media/dtmf/index.js';

export interface HeardWindow {
  /** Listener times (ms) of the stretch. */
  fromMs: number;
  toMs: number;
  /** RTP packets received before and after the stretch. */
  packetsAtStart: number;
  packetsNow: number;
  segments: ReadonlyArray<{ startMs: number; endMs: number | undefined }>;
  tones: ReadonlyArray<{ frequency: number; startMs: number; endMs: number | undefined }>;
  digits: ReadonlyArray<DtmfDigitEvent & { atMs: number }>;
}

/** "5 s", "1.5 s", "0.24 s": seconds with the precision a person reads. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (Number.isInteger(s)) return `${s} s`;
  return `${s.toFixed(s < 1 ? 2 : 1).replace(/0$/, '')} s`;
}

/** Seconds with one decimal always ("5.0 s"): for durations of what was heard. */
function sec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function describeHeard(w: HeardWindow): string {
  const span = Math.max(0, w.toMs - w.fromMs);
  if (w.packetsNow === w.packetsAtStart) {
    return w.packetsNow === 0 ? 'nothing at all (no RTP)' : `nothing (no RTP for ${sec(span)})`;
  }
  const parts: string[] = [];
  const tones = w.tones.filter((t) => (t.endMs ?? w.toMs) > w.fromMs && t.startMs < w.toMs);
  const freqs = [...new Set(tones.map((t) => t.frequency))];
  if (freqs.length > 0) parts.push(`a ${freqs.join(' Hz and a ')} Hz tone`);
  // Speech that is not one of those tones (the VAD hears a beep as sound too).
  const speech = w.segments
    .map((s) => ({ start: Math.max(s.startMs, w.fromMs), end: Math.min(s.endMs ?? w.toMs, w.toMs) }))
    .filter((s) => s.end > s.start)
    .filter((s) => !tones.some((t) => t.startMs <= s.start + 100 && (t.endMs ?? w.toMs) >= s.end - 100));
  if (speech.length === 1) parts.push(`speech for ${sec(speech[0]!.end - speech[0]!.start)}`);
  else if (speech.length > 1) parts.push(`speech for ${sec(speech[speech.length - 1]!.end - speech[0]!.start)} in ${speech.length} stretches`);
  const lastEnd = Math.max(w.fromMs, ...speech.map((s) => s.end), ...tones.map((t) => t.endMs ?? w.toMs));
  const quiet = w.toMs - lastEnd;
  if (parts.length === 0) parts.push(`silence for ${sec(span)}`);
  else if (quiet >= 500) parts.push(`then silence for ${sec(quiet)}`);
  const digits = w.digits.filter((d) => d.atMs >= w.fromMs && d.atMs <= w.toMs);
  if (digits.length > 0) parts.push(`DTMF ${digits.map((d) => d.digit).join('')}`);
  return parts.join(', ');
}
