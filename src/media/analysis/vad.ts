/**
 * Energy-based voice activity detector for 20 ms frames of 8 kHz speech (G.711 decoded).
 *
 * A frame is "loud" when its level exceeds max(noise floor + marginDb, minSpeechDbfs). Speech starts
 * after `onsetMs` of consecutive loud frames (a click or a lost-packet edge does not count) and ends
 * after `hangoverMs` without a loud frame (pauses between words do not end it). Boundaries are
 * back-dated: speech-start is the first loud frame of the onset run, speech-end the end of the last
 * loud frame, while `detectedAtMs` says when the decision could be made.
 *
 * Speech that starts with the stream (an IVR greeting played at once on answer) first sets the floor
 * itself; the floor drops at the first pause between words, and the next word triggers the onset.
 * So at onset we look back over the recent frames with the floor we know now: earlier runs of at
 * least `onsetMs` above the threshold, less than `hangoverMs` apart, belong to the same utterance,
 * and speech-start is back-dated to the first of them.
 *
 * The noise floor adapts by minimum statistics: it is the lowest frame level of the last
 * `floorWindowMs`. Line noise or comfort noise (RFC 3389) is there from the first frame, so the floor
 * sits on it at once; speech has gaps between words, so the floor does not climb onto speech unless
 * someone talks for the whole window without a pause. A stream that starts in the middle of speech
 * is only detected once the window has seen a quieter frame. Pure, frame-driven: no timers.
 *
 * The defaults are the ones scripts/vad-calibrate.ts found to keep boundaries tight under G.711 and
 * line noise without letting noise hold speech open; the figures and the alternatives tried are in
 * docs/measurements/speech-and-prompts.md.
 */
import { FRAME_MS, levelDbfs, SILENCE_DB } from './energy.js';

export type VadState = 'silence' | 'speech';

export interface VadOptions {
  /** dB above the noise floor for a frame to count as speech. */
  marginDb?: number;
  /** Absolute minimum level of speech, whatever the floor (dBFS). */
  minSpeechDbfs?: number;
  onsetMs?: number;
  hangoverMs?: number;
  /** The floor is the minimum frame level over this much recent audio. */
  floorWindowMs?: number;
}

export interface VadEvent {
  type: 'speech-start' | 'speech-end';
  /** The boundary in stream time (ms since the first frame pushed). */
  atMs: number;
  /** When the detector decided (end of the frame that confirmed it). */
  detectedAtMs: number;
}

export const VAD_DEFAULTS: Required<VadOptions> = {
  marginDb: 6,
  minSpeechDbfs: -55,
  onsetMs: 60,
  hangoverMs: 300,
  floorWindowMs: 2000,
};

export class VoiceActivityDetector {
  private readonly opt: Required<VadOptions>;
  private st: VadState = 'silence';
  private t = 0;
  /** Sliding-window minimum: (end time, level) pairs with increasing levels (monotonic deque). */
  private readonly minQueue: Array<{ end: number; level: number }> = [];
  /** Recent frames (one floor window) for back-dating an onset. */
  private readonly history: Array<{ start: number; end: number; level: number }> = [];
  /** Start of the current run of loud frames, or -1. */
  private runStart = -1;
  /** End of the last loud frame. */
  private lastLoudEnd = -1;
  /** When the current silence began (stream start counts as silence). */
  private silenceSince = 0;

  constructor(options: VadOptions = {}) {
    this.opt = { ...VAD_DEFAULTS, ...options };
  }

  get state(): VadState {
    return this.st;
  }
  /** Stream time: total audio pushed, in ms. */
  get timeMs(): number {
    return this.t;
  }
  get noiseFloorDbfs(): number {
    return this.minQueue.length > 0 ? this.minQueue[0]!.level : SILENCE_DB;
  }
  /** End of the last frame that counted as speech (ms), or -1. */
  get lastSpeechEndMs(): number {
    return this.lastLoudEnd;
  }
  /** The level a frame must exceed to count as speech now. */
  get thresholdDbfs(): number {
    return Math.max(this.noiseFloorDbfs + this.opt.marginDb, this.opt.minSpeechDbfs);
  }
  /** Milliseconds of silence so far (0 while in speech). */
  get silenceMs(): number {
    return this.st === 'speech' ? 0 : this.t - this.silenceSince;
  }
  /** True when the detector is in silence and has been for at least `ms`. */
  silenceFor(ms: number): boolean {
    return this.st === 'silence' && this.t - this.silenceSince >= ms;
  }

  /** Feeds one frame (normally 160 samples = 20 ms) and returns the decisions it triggered. */
  push(frame: Int16Array): VadEvent[] {
    const dur = (frame.length * 1000) / 8000 || FRAME_MS;
    const start = this.t;
    const end = start + dur;
    this.t = end;
    const level = levelDbfs(frame);
    this.trackFloor(level, end);
    this.history.push({ start, end, level });
    while (this.history[0]!.end <= end - this.opt.floorWindowMs) this.history.shift();
    const loud = level > this.thresholdDbfs && level > SILENCE_DB;
    const events: VadEvent[] = [];
    if (loud) {
      if (this.runStart < 0) this.runStart = start;
      this.lastLoudEnd = end;
    } else {
      this.runStart = -1;
    }
    switch (this.st) {
      case 'silence':
        if (loud && end - this.runStart >= this.opt.onsetMs) {
          this.st = 'speech';
          events.push({ type: 'speech-start', atMs: this.backdate(this.runStart), detectedAtMs: end });
        }
        break;
      case 'speech':
        if (!loud && end - this.lastLoudEnd >= this.opt.hangoverMs) {
          this.st = 'silence';
          this.silenceSince = this.lastLoudEnd;
          events.push({ type: 'speech-end', atMs: this.lastLoudEnd, detectedAtMs: end });
        }
        break;
    }
    return events;
  }

  /** The start of the utterance whose onset run begins at runStart (see the file comment). */
  private backdate(runStart: number): number {
    const threshold = this.thresholdDbfs;
    let utteranceStart = runStart;
    let runEnd = -1; // end of the run being collected (walking backwards), -1 when none
    let runBegin = -1;
    for (let k = this.history.length - 1; k >= 0; k--) {
      const f = this.history[k]!;
      if (f.end > runStart) continue;
      if (f.start < this.silenceSince) break; // the previous utterance
      if (f.level > threshold) {
        if (runEnd < 0) {
          if (utteranceStart - f.end >= this.opt.hangoverMs) break;
          runEnd = f.end;
        }
        runBegin = f.start;
        continue;
      }
      if (runEnd >= 0 && runEnd - runBegin >= this.opt.onsetMs) utteranceStart = runBegin;
      runEnd = -1;
      if (utteranceStart - f.start >= this.opt.hangoverMs) break;
    }
    if (runEnd >= 0 && runEnd - runBegin >= this.opt.onsetMs) utteranceStart = runBegin;
    return utteranceStart;
  }

  private trackFloor(level: number, end: number): void {
    const q = this.minQueue;
    while (q.length > 0 && q[q.length - 1]!.level >= level) q.pop();
    q.push({ end, level });
    while (q[0]!.end <= end - this.opt.floorWindowMs) q.shift();
  }
}

/** Runs a detector over a whole signal; returns the speech segments [startMs, endMs). */
export function speechSegments(pcm: Int16Array, options?: VadOptions): Array<{ startMs: number; endMs: number }> {
  const vad = new VoiceActivityDetector(options);
  const segs: Array<{ startMs: number; endMs: number }> = [];
  let open = -1;
  for (let i = 0; i < pcm.length; i += 160) {
    for (const e of vad.push(pcm.subarray(i, Math.min(pcm.length, i + 160)))) {
      if (e.type === 'speech-start') open = e.atMs;
      else {
        segs.push({ startMs: open, endMs: e.atMs });
        open = -1;
      }
    }
  }
  // Speech still running at the end of the signal ends with its last loud frame.
  if (open >= 0) segs.push({ startMs: open, endMs: vad.lastSpeechEndMs });
  return segs;
}
