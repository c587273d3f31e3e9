import { describe, expect, it } from 'vitest';
import { dbfsToRms, dbm0ToDbfs, frameLevel, frames, levelDbfs, levelDbm0, levelDbov, rms, SILENCE_DB } from '../../../../src/media/analysis/energy.js';

const sine = (amp: number, f = 1000, n = 160): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * f * i) / 8000 + 0.3)));

describe('frame levels', () => {
  it('a full-scale sine is 0 dBFS, -3.01 dBov, +3.17 dBm0', () => {
    const x = sine(32767);
    expect(levelDbfs(x)).toBeCloseTo(0, 2);
    expect(levelDbov(x)).toBeCloseTo(-3.01, 2);
    expect(levelDbm0(x)).toBeCloseTo(3.17, 2);
  });

  it('a full-scale square wave is 0 dBov and +3.01 dBFS', () => {
    const x = Int16Array.from({ length: 160 }, (_, i) => (i % 8 < 4 ? 32767 : -32767));
    expect(levelDbov(x)).toBeCloseTo(0, 2);
    expect(levelDbfs(x)).toBeCloseTo(3.01, 2);
  });

  it('the committed beep is -10 dBm0', async () => {
    const { loadWavForPlaybackSync } = await import('../../../../src/media/wav/reader.js');
    const beep = loadWavForPlaybackSync('audio/beep-1000hz.wav').samples;
    expect(levelDbm0(beep.subarray(800, 3200))).toBeCloseTo(-10, 1);
  });

  it('digital silence and an empty frame are SILENCE_DB (-127), never -Infinity', () => {
    expect(levelDbfs(new Int16Array(160))).toBe(SILENCE_DB);
    expect(levelDbm0(new Int16Array(160))).toBe(SILENCE_DB);
    expect(rms(new Int16Array(0))).toBe(0);
    expect(frameLevel(new Int16Array(160))).toEqual({ rms: 0, dbfs: SILENCE_DB, dbm0: SILENCE_DB });
  });

  it('converts both ways', () => {
    expect(levelDbfs(sine(dbfsToRms(-20) * Math.SQRT2))).toBeCloseTo(-20, 1);
    expect(dbm0ToDbfs(-10)).toBeCloseTo(-13.17, 2);
    expect(rms(Int16Array.of(3, -4, 3, -4))).toBeCloseTo(3.5355, 3);
  });

  it('splits a signal into 20 ms frames', () => {
    expect(Array.from(frames(new Int16Array(400))).map((f) => f.length)).toEqual([160, 160, 80]);
  });
});
