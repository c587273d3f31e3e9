/** The recording's waveform: min and max per column and channel, the duration, and what is not a PCM WAV. */
import { describe, expect, it } from 'vitest';
import { wavHeader } from '../../../src/media/wav/writer.js';
import { waveformOf } from '../../../src/report/wav-peaks.js';

function stereo(frames: number, left: (i: number) => number, right: (i: number) => number): Buffer {
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(left(i), i * 4);
    data.writeInt16LE(right(i), i * 4 + 2);
  }
  return Buffer.concat([wavHeader(data.length, 8000, 2), data]);
}

describe('waveformOf', () => {
  it('reduces each channel to min/max columns scaled to ±127, and gives the duration', () => {
    // 2 s: the left loud in the first second, silent after; the right a constant negative level.
    const wav = stereo(16000, (i) => (i < 8000 ? (i % 2 ? 32767 : -32768) : 0), () => -16384);
    const w = waveformOf(wav, 4)!;
    expect(w.channels).toBe(2);
    expect(w.sampleRate).toBe(8000);
    expect(w.durationMs).toBe(2000);
    expect(w.peaks[0]).toEqual([[-127, 127], [-127, 127], [0, 0], [0, 0]]);
    expect(w.peaks[1]).toEqual([[-63, 0], [-63, 0], [-63, 0], [-63, 0]]);
  });

  it('keeps a fixed number of columns whatever the length (a long call\'s page stays small)', () => {
    expect(waveformOf(stereo(8000 * 60, () => 100, () => 0))!.peaks[0]).toHaveLength(1200);
    expect(waveformOf(stereo(10, () => 100, () => 0))!.peaks[0]).toHaveLength(10);
  });

  it('reads a recording cut short (the header claims more than the file holds)', () => {
    const wav = stereo(800, () => 1000, () => 0);
    wav.writeUInt32LE(1_000_000, 40);
    expect(waveformOf(wav)!.durationMs).toBe(100);
  });

  it('is undefined for what is not a 16-bit PCM WAV', () => {
    expect(waveformOf(Buffer.from('not a wav at all, just text'))).toBeUndefined();
    const eight = stereo(10, () => 0, () => 0);
    eight.writeUInt16LE(8, 34);
    expect(waveformOf(eight)).toBeUndefined();
  });
});
