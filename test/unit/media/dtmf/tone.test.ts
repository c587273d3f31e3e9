import { describe, expect, it } from 'vitest';
import { DBM0_SINE_PEAK, dbm0ToPeak, DtmfToneGenerator, peakToDbm0, synthesizeDtmf } from '../../../../src/media/dtmf/tone.js';
import { keyFrequencies } from '../../../../src/media/dtmf/keys.js';

describe('in-band tone generation (Q.23)', () => {
  it('uses the G.711 μ-law level reference: a full-scale sine (peak 32636) is +3.17 dBm0', () => {
    expect(peakToDbm0(32636)).toBeCloseTo(3.17, 6);
    expect(DBM0_SINE_PEAK).toBeCloseTo(22656.7, 1);
    expect(dbm0ToPeak(-10)).toBeCloseTo(7164.7, 1);
  });

  it('is phase-continuous: 20 ms frames (and odd chunks) give the same samples as one piece', () => {
    const whole = new Int16Array(1600);
    const a = new DtmfToneGenerator();
    a.start('9');
    a.fill(whole);
    for (const chunk of [160, 37]) {
      const parts = new Int16Array(1600);
      const b = new DtmfToneGenerator();
      b.start('9');
      for (let i = 0; i < 1600; i += chunk) b.fill(parts, i, Math.min(chunk, 1600 - i));
      expect(parts).toEqual(whole);
    }
  });

  it('puts each tone at the requested level and frequency (DFT at the two frequencies)', () => {
    const x = synthesizeDtmf('6', { padMs: 0, durationMs: 1000, levelDbm0: -10, twistDb: 2 });
    const { lowHz, highHz } = keyFrequencies('6');
    const amp = (f: number) => {
      let re = 0, im = 0;
      for (let n = 0; n < x.length; n++) {
        re += x[n]! * Math.cos((2 * Math.PI * f * n) / 8000);
        im -= x[n]! * Math.sin((2 * Math.PI * f * n) / 8000);
      }
      return (2 * Math.hypot(re, im)) / x.length;
    };
    expect(peakToDbm0(amp(lowHz))).toBeCloseTo(-11, 1);
    expect(peakToDbm0(amp(highHz))).toBeCloseTo(-9, 1);
  });

  it('mixes into speech with saturation instead of wrapping', () => {
    const g = new DtmfToneGenerator({ levelDbm0: -10 });
    g.start('1');
    const frame = new Int16Array(800).fill(30000);
    g.mixInto(frame);
    expect(Math.max(...frame)).toBe(32767);
    expect(Math.min(...frame)).toBeLessThan(18000); // the negative half-waves pass unclipped
    expect(Math.min(...frame)).toBeGreaterThan(0); // and nothing wrapped around to negative
  });
});
