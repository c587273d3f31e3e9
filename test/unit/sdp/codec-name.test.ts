import { describe, expect, it } from 'vitest';
import { CODEC_SPELLINGS, CodecNameError, parseCodecList, parseCodecName } from '../../../src/sdp/index.js';

const WE_SPEAK = 'umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)';

describe('parseCodecName', () => {
  it.each([
    ['pcmu', 'PCMU'], ['PCMU', 'PCMU'], ['ulaw', 'PCMU'], ['mulaw', 'PCMU'], ['mu-law', 'PCMU'], ['u-law', 'PCMU'],
    ['g711u', 'PCMU'], ['G.711u', 'PCMU'], ['G711U', 'PCMU'], [' pcmu ', 'PCMU'],
    ['pcma', 'PCMA'], ['PCMA', 'PCMA'], ['alaw', 'PCMA'], ['A-law', 'PCMA'], ['a_law', 'PCMA'], ['g711a', 'PCMA'], ['G.711a', 'PCMA'],
  ])('%j → %s', (text, codec) => {
    expect(parseCodecName(text)).toBe(codec);
  });

  it('accepts every spelling it lists, and the list has the names the CLI and scripts took before', () => {
    for (const s of CODEC_SPELLINGS) expect(['PCMU', 'PCMA']).toContain(parseCodecName(s));
    expect(CODEC_SPELLINGS).toEqual(expect.arrayContaining(['pcmu', 'pcma', 'ulaw', 'alaw', 'g711u', 'g711a', 'mulaw']));
  });

  it.each(['g729', 'opus', 'pcm', 'g722', 'l16', ''])('%j is a CodecNameError carrying the accepted spellings', (text) => {
    expect(() => parseCodecName(text)).toThrow(new CodecNameError(`unsupported codec "${text}": ${WE_SPEAK}`, text));
    try {
      parseCodecName(text);
    } catch (e) {
      expect(e).toBeInstanceOf(CodecNameError);
      expect((e as CodecNameError).accepted).toEqual(CODEC_SPELLINGS);
      expect((e as CodecNameError).input).toBe(text);
    }
  });
});

describe('parseCodecList', () => {
  it.each([
    ['pcmu,pcma', ['PCMU', 'PCMA']],
    ['PCMA, pcmu', ['PCMA', 'PCMU']],
    ['pcma pcmu', ['PCMA', 'PCMU']],
    ['pcma,PCMU,pcma', ['PCMA', 'PCMU']],
    ['ulaw,alaw', ['PCMU', 'PCMA']],
    ['g711a', ['PCMA']],
    [['mulaw', 'a-law'], ['PCMU', 'PCMA']],
    [['pcmu, pcma', 'alaw'], ['PCMU', 'PCMA']],
  ] as Array<[string | string[], string[]]>)('%j → %j (order kept, repeats dropped)', (input, codecs) => {
    expect(parseCodecList(input)).toEqual(codecs);
  });

  it.each([' , ', '', []] as Array<string | string[]>)('%j is an empty list', (input) => {
    expect(() => parseCodecList(input)).toThrow(CodecNameError);
    expect(() => parseCodecList(input)).toThrow(`no codec given: ${WE_SPEAK}`);
  });

  it('names the first unknown codec', () => {
    expect(() => parseCodecList('pcmu,g729,opus')).toThrow(`unsupported codec "g729": ${WE_SPEAK}`);
  });
});
