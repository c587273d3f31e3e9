/** A media source for the waits, fed by hand: frames, digits and the call's end, on a ManualClock. */
import { ManualClock } from '../../../src/util/clock.js';
import type { ListenSource } from '../../../src/phone/waits.js';
import type { DtmfDigitEvent } from '../../../src/media/dtmf/index.js';
import { loadWavForPlaybackSync } from '../../../src/media/wav/reader.js';

export class FakeSource implements ListenSource {
  readonly clock = new ManualClock();
  private frames = new Set<(pcm: Int16Array, at: number) => void>();
  private digitsL = new Set<(d: DtmfDigitEvent) => void>();
  packets = 0;
  at = 0;
  rtp = true;
  recorded: Array<{ path: string; frames: number; stopped: boolean }> = [];
  ended: Promise<string>;
  private end!: (r: string) => void;
  constructor() {
    this.ended = new Promise((r) => { this.end = r; });
  }
  onFrame(l: (pcm: Int16Array, at: number) => void): () => void {
    this.frames.add(l);
    return () => this.frames.delete(l);
  }
  onDigit(l: (d: DtmfDigitEvent) => void): () => void {
    this.digitsL.add(l);
    return () => this.digitsL.delete(l);
  }
  packetsReceived(): number {
    return this.packets;
  }
  record(path: string): { path: string; durationMs: number; stop(): void } {
    const r = { path, frames: 0, stopped: false };
    this.recorded.push(r);
    return { path, get durationMs() { return r.frames * 20; }, stop() { r.stopped = true; } };
  }
  /** Feeds audio 20 ms at a time, advancing the clock with it. */
  feed(pcm: Int16Array): void {
    for (let i = 0; i + 160 <= pcm.length; i += 160) {
      if (this.rtp) this.packets++;
      const f = pcm.slice(i, i + 160);
      // As in MediaSession: recordings are written before the frame listeners run.
      for (const r of this.recorded) if (!r.stopped) r.frames++;
      for (const l of [...this.frames]) l(f, this.at);
      this.at += 20;
      this.clock.advance(20);
    }
  }
  silence(ms: number): void {
    this.feed(new Int16Array(ms * 8));
  }
  digit(d: string, method: DtmfDigitEvent['method'] = 'rfc4733'): void {
    for (const l of this.digitsL) l({ digit: d as DtmfDigitEvent['digit'], method, startMs: this.at, durationMs: 100 });
  }
  hangUp(reason = 'remote (BYE)'): void {
    this.end(reason);
  }
}

export function tone(freq: number, ms: number, amp = 8000): Int16Array {
  return Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * freq * i) / 8000)));
}

export function prompt(name: string): Int16Array {
  return loadWavForPlaybackSync(new URL(`../../../audio/prompts/${name}`, import.meta.url).pathname).samples;
}

export { concatSamples as concat } from '../../support/audio-compare.js';

/** Lets pending promise callbacks run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
