/**
 * Streaming rate conversion between the call's 8 kHz and the device's own rate, over the band-limited
 * polyphase resampler of ../resample.ts (no audible aliasing or imaging; about 4 ms of filter delay each
 * way). Equal rates pass through untouched, so a card running at 8 kHz is bit-exact.
 */
import { Resampler } from '../resample.js';

export interface RateConverter {
  /** Delay the converter adds, in milliseconds. */
  readonly latencyMs: number;
  /** Convert the next chunk of a continuous stream; returns what is ready (may vary by a sample). */
  process(input: Int16Array): Int16Array;
}

export type RateConverterFactory = (fromRate: number, toRate: number) => RateConverter;

export function createRateConverter(fromRate: number, toRate: number): RateConverter {
  if (fromRate === toRate) {
    return { latencyMs: 0, process: (input) => input.slice() };
  }
  const r = new Resampler(fromRate, toRate);
  return { latencyMs: r.latencyMs, process: (input) => r.push(input) };
}
