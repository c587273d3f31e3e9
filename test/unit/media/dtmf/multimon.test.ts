import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { synthesizeDtmf } from '../../../../src/media/dtmf/tone.js';
import { detectDtmf } from '../../../../src/media/dtmf/detector.js';
import { decodeUlaw, encodeUlaw } from '../../../../src/media/g711.js';
import { multimonDecode, wavTo22050Raw, writeWav8k } from './multimon.js';
import { readAudio8k } from './support.js';

const haveTools = spawnSync('multimon-ng', ['-h']).error === undefined && spawnSync('sox', ['--version']).status === 0;

describe.skipIf(!haveTools)('cross-check with multimon-ng (an independent DTMF decoder)', () => {
  it('multimon-ng decodes our in-band tones, through a WAV and μ-law, as 0123456789*#ABCD', () => {
    const keys = '0123456789*#ABCD';
    const x = decodeUlaw(encodeUlaw(synthesizeDtmf(keys)));
    const wav = writeWav8k(x);
    expect(multimonDecode(wavTo22050Raw(wav))).toBe(keys);
    // And our detector reads the same WAV back (sox round trip) the same way.
    expect(detectDtmf(readAudio8k(wav)).map((d) => d.digit).join('')).toBe(keys);
  });
});
