import { describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import {
  alawDecodeSample,
  alawEncodeG191,
  alawEncodeSample,
  codecFor,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  g711TiesFixed,
  ulawDecodeSample,
  ulawEncodeG191,
  ulawEncodeSample,
} from '../../../src/media/g711.js';

describe('G.711 known vectors (ITU-T G.191 reference bytes)', () => {
  it.each([
    // [input, μ-law byte, A-law byte]
    [0, 0xff, 0xd5],
    [-1, 0x7f, 0x55], // G.191: one's complement, so -1 is "negative zero"
    [1, 0xff, 0xd5],
    [32767, 0x80, 0xaa],
    [-32768, 0x00, 0x2a],
    [32124, 0x80, 0xaa],
    [-32124, 0x00, 0x2a],
    [1000, 0xce, 0xfa],
    [-1000, 0x4e, 0x7a],
    // tie inputs, where alawmulaw alone would give the other neighbour
    [-16252, 0x10, 0x3a],
    [-124, 0x70, 0x52],
    [-16384, 0x0f, 0x3a],
  ])('%i -> μ-law %i, A-law %i', (x, mu, a) => {
    expect(encodeUlaw(Int16Array.of(x))[0]).toBe(mu);
    expect(encodeAlaw(Int16Array.of(x))[0]).toBe(a);
    expect(ulawEncodeSample(x)).toBe(mu);
    expect(alawEncodeSample(x)).toBe(a);
  });

  it.each([
    [0xff, 0, 0xd5, 8],
    [0x7f, 0, 0x55, -8],
    [0x80, 32124, 0xaa, 32256],
    [0x00, -32124, 0x2a, -32256],
  ])('decode μ %i -> %i, A %i -> %i', (mu, muPcm, a, aPcm) => {
    expect(decodeUlaw(Uint8Array.of(mu))[0]).toBe(muPcm);
    expect(decodeAlaw(Uint8Array.of(a))[0]).toBe(aPcm);
  });
});

describe('G.711 tables against alawmulaw and G.191', () => {
  const laws = [
    ['μ-law', alawmulaw.mulaw, ulawEncodeSample, ulawDecodeSample, ulawEncodeG191, g711TiesFixed.ulaw],
    ['A-law', alawmulaw.alaw, alawEncodeSample, alawDecodeSample, alawEncodeG191, g711TiesFixed.alaw],
  ] as const;

  it.each(laws)('%s: encode equals G.191 for all 65536 inputs', (_n, _lib, enc, _dec, ref) => {
    let mismatches = 0;
    for (let x = -32768; x <= 32767; x++) if (enc(x) !== ref(x)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it.each(laws)('%s: differs from alawmulaw on exactly 127 negative decision-boundary ties', (_n, lib, enc, dec, _ref, ties) => {
    expect(ties.length).toBe(127);
    const tieSet = new Set(ties);
    for (let x = -32768; x <= 32767; x++) {
      const theirs = lib.encodeSample(x) & 0xff;
      if (!tieSet.has(x)) {
        expect(enc(x)).toBe(theirs);
        continue;
      }
      expect(x).toBeLessThan(0);
      // A tie: x sits exactly on the decision boundary, so the other neighbour's code is what our
      // (G.191) encoder gives to the adjacent input, and the two reconstruction levels are adjacent.
      expect([enc(x - 1), enc(x + 1)]).toContain(theirs);
      const lo = Math.min(dec(theirs), dec(enc(x)));
      const hi = Math.max(dec(theirs), dec(enc(x)));
      expect(lo).toBeLessThanOrEqual(x);
      expect(hi).toBeGreaterThanOrEqual(x);
    }
  });

  it.each(laws)('%s: decode table is bit-exact with alawmulaw', (_n, lib, _enc, dec) => {
    for (let b = 0; b < 256; b++) expect(dec(b)).toBe(lib.decodeSample(b) | 0);
  });

  it.each(laws)('%s: every code survives decode then encode (except μ-law negative zero)', (name, _lib, enc, dec) => {
    for (let b = 0; b < 256; b++) {
      if (name === 'μ-law' && b === 0x7f) {
        expect(enc(dec(b))).toBe(0xff);
        continue;
      }
      expect(enc(dec(b))).toBe(b);
    }
  });

  it('quantization error stays within half a step (monotonic, bounded)', () => {
    for (let x = -32768; x <= 32767; x += 7) {
      const eu = Math.abs(ulawDecodeSample(ulawEncodeSample(x)) - x);
      const ea = Math.abs(alawDecodeSample(alawEncodeSample(x)) - x);
      // Largest step: 1024 (μ-law top segment) / 1024 (A-law); beyond the clip level the error grows.
      expect(eu).toBeLessThanOrEqual(Math.abs(x) > 32124 ? 32768 - 32124 : 512);
      expect(ea).toBeLessThanOrEqual(Math.abs(x) > 32256 ? 32768 - 32256 : 512);
    }
  });
});

describe('frames and codecFor', () => {
  it('encodes and decodes whole frames', () => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
    const u = encodeUlaw(pcm);
    expect(Buffer.isBuffer(u)).toBe(true);
    expect(u.length).toBe(160);
    const back = decodeUlaw(u);
    for (let i = 0; i < 160; i++) expect(Math.abs(back[i]! - pcm[i]!)).toBeLessThanOrEqual(256);
    expect(Array.from(u)).toEqual(Array.from(alawmulaw.mulaw.encode(pcm)).map((b) => b & 0xff));
    const a = encodeAlaw(pcm);
    expect(Array.from(decodeAlaw(a))).toEqual(Array.from(alawmulaw.alaw.decode(a)));
  });

  it('codecFor gives payload type, name and silence byte', () => {
    const mu = codecFor('PCMU');
    const a = codecFor('PCMA');
    expect([mu.name, mu.payloadType, mu.silenceByte, mu.sampleRate]).toEqual(['PCMU', 0, 0xff, 8000]);
    expect([a.name, a.payloadType, a.silenceByte, a.sampleRate]).toEqual(['PCMA', 8, 0xd5, 8000]);
    expect(mu.decode(mu.encode(new Int16Array(4)))).toEqual(new Int16Array(4));
    expect(Array.from(a.encode(new Int16Array(3)))).toEqual([0xd5, 0xd5, 0xd5]);
  });
});
