/**
 * Frame levels for 8 kHz 16-bit audio (20 ms = 160 samples per frame).
 *
 * Three scales, all from the RMS of the frame:
 *  - dBov  (RFC 3389 §3): relative to the overload point, the full-scale square wave (RMS 32768).
 *  - dBFS  (AES17): relative to a full-scale sine (RMS 32768/√2), so dBFS = dBov + 3.01.
 *  - dBm0  (G.711 / G.168): a full-scale sine is +3.17 dBm0 for μ-law (+3.14 for A-law; we use
 *          3.17), so dBm0 = dBFS + 3.17 and a -10 dBm0 tone has a peak of 0.2195 × full scale.
 * Digital silence has no logarithm; levels are clamped to SILENCE_DB (-127, the RFC 3389 minimum).
 */

export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;
export const SILENCE_DB = -127;
const FULL_SCALE_SINE_RMS = 32768 / Math.SQRT2;
export const DBM0_AT_FULL_SCALE_SINE = 3.17;

export function rms(frame: ArrayLike<number>): number {
  if (frame.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < frame.length; i++) s += frame[i]! * frame[i]!;
  return Math.sqrt(s / frame.length);
}

const toDb = (ratio: number): number => (ratio > 0 ? Math.max(SILENCE_DB, 20 * Math.log10(ratio)) : SILENCE_DB);

/** dB relative to a full-scale sine. */
export function rmsToDbfs(r: number): number {
  return toDb(r / FULL_SCALE_SINE_RMS);
}
export function dbfsToRms(db: number): number {
  return FULL_SCALE_SINE_RMS * 10 ** (db / 20);
}
export function levelDbfs(frame: ArrayLike<number>): number {
  return rmsToDbfs(rms(frame));
}
export function levelDbov(frame: ArrayLike<number>): number {
  return toDb(rms(frame) / 32768);
}
export function levelDbm0(frame: ArrayLike<number>): number {
  const db = levelDbfs(frame);
  return db === SILENCE_DB ? SILENCE_DB : db + DBM0_AT_FULL_SCALE_SINE;
}
export function dbm0ToDbfs(dbm0: number): number {
  return dbm0 - DBM0_AT_FULL_SCALE_SINE;
}

export interface FrameLevel {
  rms: number;
  dbfs: number;
  dbm0: number;
}
export function frameLevel(frame: ArrayLike<number>): FrameLevel {
  const r = rms(frame);
  const dbfs = rmsToDbfs(r);
  return { rms: r, dbfs, dbm0: dbfs === SILENCE_DB ? SILENCE_DB : dbfs + DBM0_AT_FULL_SCALE_SINE };
}

/** Splits a signal into consecutive frames (the last one may be shorter). */
export function* frames(pcm: Int16Array, size = FRAME_SAMPLES): Generator<Int16Array> {
  for (let i = 0; i < pcm.length; i += size) yield pcm.subarray(i, Math.min(pcm.length, i + size));
}
