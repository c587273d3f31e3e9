/**
 * The E-model against published figures. Where each number comes from:
 *  - R = 93.2 with every parameter at its default: G.107 clause 7.7 states it. Ro 94.77 and Is 1.41 are
 *    the terms that add up to it (the same figures other independent implementations print).
 *  - MOS of an R: G.107 Annex B (B-4); the R / MOS pairs 90/4.34, 80/4.03, 70/3.60, 60/3.10, 50/2.58 are
 *    the category limits of G.109 Table 1 (printed to two decimals).
 *  - Ie,eff under loss: (7-29) with G.711's Ie 0 and Bpl 4.3 (no PLC) or 25.1 (PLC) from G.113 Appendix I,
 *    worked by hand below.
 *  - Id against delay: Cole and Rosenbluth's published fit of G.107 with default values (ACM SIGCOMM CCR,
 *    2001), Id ≈ 0.024 d + 0.11 (d − 177.3) H(d − 177.3): within 0.4 up to 300 ms but around its knee.
 */
import { describe, expect, it } from 'vitest';
import {
  burstRatioFromMarkov,
  effectiveEquipmentImpairment,
  eModel,
  G711_NO_PLC,
  G711_PLC,
  mosFromR,
} from '../../../../src/rtp/quality/e-model.js';

/** One-way delay d on a VoIP path: echo path and absolute delay d, listener echo loop 2d. */
const delay = (d: number) => ({ T: d, Ta: d, Tr: 2 * d });

describe('E-model (G.107)', () => {
  it('gives R = 93.2 and MOS 4.41 with the default values', () => {
    const e = eModel();
    expect(e.R).toBeCloseTo(93.2, 1);
    expect(e.Ro).toBeCloseTo(94.77, 2);
    expect(e.Is).toBeCloseTo(1.41, 2);
    expect(e.IeEff).toBe(0);
    expect(e.Idd).toBe(0);
    expect(e.mos).toBeCloseTo(4.41, 2);
  });

  it.each([
    [90, 4.34],
    [80, 4.03],
    [70, 3.6],
    [60, 3.1],
    [50, 2.58],
  ])('maps R %d to MOS %d (G.109 category limits)', (r, mos) => {
    // G.109 prints two decimals, rounding 4.024 (R 80) up to 4.03.
    expect(Math.abs(mosFromR(r) - mos)).toBeLessThan(0.01);
  });

  it('keeps MOS within 1 to 4.5 at the ends of the scale', () => {
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(3)).toBe(1);
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(120)).toBe(4.5);
  });

  it.each([
    // Ppl %, BurstR, codec, Ie,eff = 95·Ppl / (Ppl/BurstR + Bpl)
    [1, 1, G711_PLC, 95 / 26.1],
    [5, 1, G711_PLC, 475 / 30.1],
    [1, 1, G711_NO_PLC, 95 / 5.3],
    [2, 2, G711_PLC, 190 / 26.1],
  ])('Ie,eff at %d%% loss, BurstR %d, Bpl of the codec', (ppl, burstR, codec, ieEff) => {
    expect(effectiveEquipmentImpairment(codec.Ie, codec.Bpl, ppl, burstR)).toBeCloseTo(ieEff, 9);
    const e = eModel({ ...codec, Ppl: ppl, BurstR: burstR });
    expect(e.R).toBeCloseTo(eModel().R - ieEff, 9);
  });

  it('rates 1% random loss on G.711 with PLC R 89.6 (MOS 4.33), without PLC R 75.3 (MOS 3.83)', () => {
    const plc = eModel({ ...G711_PLC, Ppl: 1 });
    expect(plc.R).toBeCloseTo(89.57, 2);
    expect(plc.mos).toBeCloseTo(4.33, 2);
    const none = eModel({ ...G711_NO_PLC, Ppl: 1 });
    expect(none.R).toBeCloseTo(75.28, 2);
    expect(none.mos).toBeCloseTo(3.83, 2);
  });

  it('computes BurstR = 1 / (p + q) of the two-state loss model (7-30)', () => {
    // Random loss at rate π: p = π, q = 1 − π.
    expect(burstRatioFromMarkov(0.02, 0.98)).toBe(1);
    expect(burstRatioFromMarkov(0.01, 0.24)).toBeCloseTo(4, 9);
    expect(burstRatioFromMarkov(0, 0)).toBe(1);
  });

  it('has no too-long-delay impairment up to 100 ms, and Idd 3.04 at 200 ms (X = 1 in 7-27)', () => {
    expect(eModel({ Ta: 100 }).Idd).toBe(0);
    // 25 · (2^(1/6) − 3 · (1 + 3^-6)^(1/6) + 2)
    expect(eModel({ Ta: 200 }).Idd).toBeCloseTo(25 * (2 ** (1 / 6) - 3 * (1 + 3 ** -6) ** (1 / 6) + 2), 9);
    expect(eModel({ Ta: 200 }).Idd).toBeCloseTo(3.04, 2);
  });

  it.each([0, 50, 100, 150, 177, 200, 250, 300])('follows the published delay curve at %d ms one way', (d) => {
    const fit = 0.024 * d + 0.11 * Math.max(0, d - 177.3);
    const e = eModel(delay(d));
    // Compare impairments relative to no delay (Idle at Tr = 0 is part of the 93.2 baseline). The fit's
    // two straight lines cut the corner of the curve at 177 ms, where they differ by 0.9.
    expect(Math.abs(eModel().R - e.R - fit)).toBeLessThan(d > 150 && d < 250 ? 1 : 0.4);
  });

  it('lowers the delay impairment for the less delay-sensitive classes (sT, mT of clause 7.4)', () => {
    const dflt = eModel({ Ta: 300 }).Idd;
    const low = eModel({ Ta: 300, sT: 0.55, mT: 120 }).Idd;
    const veryLow = eModel({ Ta: 300, sT: 0.4, mT: 150 }).Idd;
    expect(dflt).toBeGreaterThan(low);
    expect(low).toBeGreaterThan(veryLow);
    expect(veryLow).toBeGreaterThan(0);
  });

  it('applies the low and high sidetone rules of clause 7.4 (TERVs below 9 dB, Idtes above 20 dB)', () => {
    const base = eModel({ ...delay(150) });
    expect(eModel({ ...delay(150), STMR: 25 }).Idte).toBeGreaterThan(base.Idte);
    expect(eModel({ ...delay(150), STMR: 5 }).Idte).not.toBeCloseTo(base.Idte, 3);
  });
});
