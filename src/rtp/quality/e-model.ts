/**
 * The ITU-T G.107 (06/2015) E-model: the transmission rating R of a narrowband telephone connection, and
 * the MOS (conversational quality, estimated) derived from it. Clause numbers below are the 2015
 * edition's (7.1 to 7.7, Annex B); the formulas are the Recommendation's, term by term, so the defaults
 * give its published R = 93.2 and MOS 4.41.
 *
 * Why here (src/rtp/quality) and not in src/capture: the quality model reads the RTP reception statistics
 * of src/rtp/stats.ts (it does not compute loss and jitter a second time), so it sits in the rtp layer;
 * the capture stays a byte writer that imports only util. The E-model itself is pure arithmetic.
 *
 * What the phone feeds in: Ta = T = one-way delay (half the RTCP round trip plus the jitter buffer and
 * packetization delay), Tr = 2 × Ta (the listener echo path goes there and back), Ppl = packets lost or
 * discarded late (%), BurstR from the observed loss runs (loss-runs.ts), Ie and Bpl of the codec. All
 * other parameters keep the defaults of clause 7.7: a connection whose only impairments are the network's.
 */

/** The parameters of G.107 clause 7.7 (default values and units as there). */
export interface EModelParameters {
  /** Send and receive loudness ratings (dB). */
  SLR: number;
  RLR: number;
  /** Sidetone masking rating and listener sidetone rating (dB). */
  STMR: number;
  LSTR: number;
  /** D-factors of the handsets, send and receive side. */
  Ds: number;
  Dr: number;
  /** Talker echo loudness rating and weighted echo path loss (dB). */
  TELR: number;
  WEPL: number;
  /** Mean one-way delay of the echo path, round-trip delay of the 4-wire loop, absolute delay (ms). */
  T: number;
  Tr: number;
  Ta: number;
  /** Quantizing distortion units. */
  qdu: number;
  /** Equipment impairment factor and packet-loss robustness factor of the codec. */
  Ie: number;
  Bpl: number;
  /** Random packet-loss probability (%), and the burst ratio (1 for random loss). */
  Ppl: number;
  BurstR: number;
  /** Circuit noise referred to the 0 dBr point (dBm0p) and noise floor at the receive side (dBmp). */
  Nc: number;
  Nfor: number;
  /** Room noise at the send and receive side (dB(A)). */
  Ps: number;
  Pr: number;
  /** Advantage factor. */
  A: number;
  /** Delay sensitivity (clause 7.4): sT and minimum perceivable delay mT (ms); the defaults are class "default". */
  sT: number;
  mT: number;
}

/** Clause 7.7 defaults. Bpl 4.3 is G.711 without packet-loss concealment (the default codec, Ie 0). */
export const G107_DEFAULTS: Readonly<EModelParameters> = Object.freeze({
  SLR: 8,
  RLR: 2,
  STMR: 15,
  LSTR: 18,
  Ds: 3,
  Dr: 3,
  TELR: 65,
  WEPL: 110,
  T: 0,
  Tr: 0,
  Ta: 0,
  qdu: 1,
  Ie: 0,
  Bpl: 4.3,
  Ppl: 0,
  BurstR: 1,
  Nc: -70,
  Nfor: -64,
  Ps: 35,
  Pr: 35,
  A: 0,
  sT: 1,
  mT: 100,
});

export interface EModelResult {
  R: number;
  mos: number;
  Ro: number;
  Is: number;
  Id: number;
  Idte: number;
  Idle: number;
  Idd: number;
  IeEff: number;
  A: number;
}

const log10 = Math.log10;
const pow = Math.pow;

/** Clause 7.2: the basic signal-to-noise ratio Ro, and the total noise No it is built from (7-3 to 7-7). */
export function basicSignalToNoise(p: EModelParameters): { Ro: number; No: number } {
  const OLR = p.SLR + p.RLR;
  const Nos = p.Ps - p.SLR - p.Ds - 100 + 0.004 * pow(p.Ps - OLR - p.Ds - 14, 2);
  const Pre = p.Pr + 10 * log10(1 + pow(10, (10 - p.LSTR) / 10));
  const Nor = p.RLR - 121 + Pre + 0.008 * pow(Pre - 35, 2);
  const Nfo = p.Nfor + p.RLR;
  const No = 10 * log10(pow(10, p.Nc / 10) + pow(10, Nos / 10) + pow(10, Nor / 10) + pow(10, Nfo / 10));
  return { Ro: 15 - 1.5 * (p.SLR + No), No };
}

/** Clause 7.3: Is = Iolr + Ist + Iq (7-8 to 7-16); Ist also feeds Idte below. */
export function simultaneousImpairment(p: EModelParameters, Ro: number, No: number): { Is: number; Ist: number } {
  const OLR = p.SLR + p.RLR;
  const Xolr = OLR + 0.2 * (64 + No - p.RLR);
  const Iolr = 20 * (pow(1 + pow(Xolr / 8, 8), 1 / 8) - Xolr / 8);
  // STMRo folds the talker echo (TELR, T) into the sidetone.
  const STMRo = -10 * log10(pow(10, -p.STMR / 10) + Math.exp(-p.T / 4) * pow(10, -p.TELR / 10));
  const Ist =
    12 * pow(1 + pow((STMRo - 13) / 6, 8), 1 / 8) -
    28 * pow(1 + pow((STMRo + 1) / 19.4, 35), 1 / 35) -
    13 * pow(1 + pow((STMRo - 3) / 33, 13), 1 / 13) +
    29;
  const Q = 37 - 15 * log10(p.qdu);
  const G = 1.07 + 0.258 * Q + 0.0602 * Q * Q;
  const Z = 46 / 30 - G / 40;
  const Y = (Ro - 100) / 15 + 46 / 8.4 - G / 9;
  const Iq = 15 * log10(1 + pow(10, Y) + pow(10, Z));
  return { Is: Iolr + Ist + Iq, Ist };
}

/** Clause 7.4: Id = Idte + Idle + Idd (7-17 to 7-28), talker echo, listener echo, too-long delay. */
export function delayImpairment(p: EModelParameters, Ro: number, No: number, Ist: number): { Idte: number; Idle: number; Idd: number } {
  const TERV = p.TELR - 40 * log10((1 + p.T / 10) / (1 + p.T / 150)) + 6 * Math.exp(-0.3 * p.T * p.T);
  // Low sidetone (STMR < 9 dB) masks less of the echo: TERVs = TERV + Ist / 2 replaces TERV.
  const terv = p.STMR < 9 ? TERV + Ist / 2 : TERV;
  const Roe = -1.5 * (No - p.RLR);
  const Re = 80 + 2.5 * (terv - 14);
  // Below 1 ms the echo is heard as sidetone, not as echo.
  let Idte = p.T < 1 ? 0 : ((Roe - Re) / 2 + Math.sqrt(pow(Roe - Re, 2) / 4 + 100) - 1) * (1 - Math.exp(-p.T));
  // High sidetone (STMR > 20 dB): Idtes = sqrt(Idte² + Ist²) replaces Idte.
  if (p.STMR > 20) Idte = Math.sqrt(Idte * Idte + Ist * Ist);
  const Rle = 10.5 * (p.WEPL + 7) * pow(p.Tr + 1, -0.25);
  const Idle = (Ro - Rle) / 2 + Math.sqrt(pow(Ro - Rle, 2) / 4 + 169);
  let Idd = 0;
  if (p.Ta > p.mT) {
    const X = log10(p.Ta / p.mT) / log10(2);
    const k = 6 * p.sT;
    Idd = 25 * (pow(1 + pow(X, k), 1 / k) - 3 * pow(1 + pow(X / 3, k), 1 / k) + 2);
  }
  return { Idte, Idle, Idd };
}

/** Clause 7.5, (7-29): Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl), Ppl in percent. */
export function effectiveEquipmentImpairment(Ie: number, Bpl: number, Ppl: number, BurstR: number): number {
  if (Ppl <= 0) return Ie;
  return Ie + ((95 - Ie) * Ppl) / (Ppl / BurstR + Bpl);
}

/**
 * Clause 7.5, (7-30): BurstR of a two-state Markov loss model, p the probability of going from "found"
 * to "lost", q from "lost" to "found": BurstR = 1 / (p + q). 1 means random loss, above 1 bursty.
 */
export function burstRatioFromMarkov(p: number, q: number): number {
  if (!(p + q > 0)) return 1;
  return 1 / (p + q);
}

/**
 * Annex B, (B-4): MOS(CQE) from R, 1 at R ≤ 0 and 4.5 at R ≥ 100. The cubic dips just below 1 for R under
 * about 6.5; it is held at 1 there so the scale stays 1 to 4.5.
 */
export function mosFromR(R: number): number {
  if (R <= 0) return 1;
  if (R >= 100) return 4.5;
  return Math.max(1, 1 + 0.035 * R + R * (R - 60) * (100 - R) * 7e-6);
}

/** Clause 7.1, (7-1): R = Ro − Is − Id − Ie,eff + A, with every parameter not given at its default. */
export function eModel(params: Partial<EModelParameters> = {}): EModelResult {
  const p: EModelParameters = { ...G107_DEFAULTS, ...params };
  const { Ro, No } = basicSignalToNoise(p);
  const { Is, Ist } = simultaneousImpairment(p, Ro, No);
  const { Idte, Idle, Idd } = delayImpairment(p, Ro, No, Ist);
  const IeEff = effectiveEquipmentImpairment(p.Ie, p.Bpl, p.Ppl, p.BurstR);
  const Id = Idte + Idle + Idd;
  const R = Ro - Is - Id - IeEff + p.A;
  return { R, mos: mosFromR(R), Ro, Is, Id, Idte, Idle, Idd, IeEff, A: p.A };
}

/**
 * Ie and Bpl of G.711 from ITU-T G.113 Appendix I: Ie 0; Bpl 4.3 when lost frames are played as silence
 * (no packet-loss concealment) and 25.1 with the concealment of G.711 Appendix I, both for random loss.
 * umphone's receive path plays a lost frame as silence, so its own listening quality is G711_NO_PLC;
 * G711_PLC rates what a concealing phone on the same network would hear.
 */
export const G711_NO_PLC = Object.freeze({ Ie: 0, Bpl: 4.3 });
export const G711_PLC = Object.freeze({ Ie: 0, Bpl: 25.1 });
