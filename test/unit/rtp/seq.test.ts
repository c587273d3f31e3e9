import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extendSeq, seqAdd, seqDiff, seqNewer, tsAdd, tsDiff, tsNewer } from '../../../src/rtp/seq.js';

describe('sequence arithmetic', () => {
  it.each([
    [1, 0, 1],
    [0, 65535, 1],
    [65535, 0, -1],
    [5, 65530, 11],
    [65530, 5, -11],
    [32767, 0, 32767],
    [32768, 0, -32768],
    [100, 100, 0],
  ])('seqDiff(%i, %i) = %i', (a, b, d) => {
    expect(seqDiff(a, b)).toBe(d);
  });
  it('seqNewer across the wrap', () => {
    expect(seqNewer(0, 65535)).toBe(true);
    expect(seqNewer(65535, 0)).toBe(false);
    expect(seqNewer(7, 7)).toBe(false);
  });
  it('seqAdd wraps both ways', () => {
    expect(seqAdd(65535, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(65535);
  });
  it('seqDiff inverts seqAdd for |n| < 32768', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: -32768, max: 32767 }), (s, n) => {
      expect(seqDiff(seqAdd(s, n), s)).toBe(n);
    }));
  });
});

describe('timestamp arithmetic', () => {
  it.each([
    [160, 0, 160],
    [0, 0xffffff60, 160],
    [0xffffff60, 0, -160],
    [0x80000000, 0, -0x80000000],
  ])('tsDiff(%i, %i) = %i', (a, b, d) => {
    expect(tsDiff(a, b)).toBe(d);
  });
  it('tsAdd and tsNewer wrap', () => {
    expect(tsAdd(0xffffffff, 1)).toBe(0);
    expect(tsAdd(0, -160)).toBe(0xffffff60);
    expect(tsNewer(0, 0xffffff60)).toBe(true);
  });
});

describe('extendSeq', () => {
  it.each([
    [1, 65535, 65537],
    [65534, 65537, 65534],
    [10, 131072 + 5, 131072 + 10],
    [0, 0, 0],
    [65535, 0, -1],
  ])('extendSeq(%i, ref %i) = %i', (seq, ref, ext) => {
    expect(extendSeq(seq, ref)).toBe(ext);
  });
});
