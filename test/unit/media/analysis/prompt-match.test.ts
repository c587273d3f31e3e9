import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyGainDb, dropFrames, g711RoundTrip } from '../../../../src/media/analysis/degrade.js';
import { fingerprint } from '../../../../src/media/analysis/fingerprint.js';
import { findPrompt, identifyPrompt } from '../../../../src/media/analysis/prompt-match.js';
import { loadWavForPlaybackSync } from '../../../../src/media/wav/reader.js';
import { concatSamples } from '../../../support/audio-compare.js';

const P = (name: string): Int16Array => loadWavForPlaybackSync(`audio/prompts/${name}.wav`).samples;
const concat = concatSamples;
const ms = (x: Int16Array): number => x.length / 8;

describe('findPrompt: a prompt inside a longer recording', () => {
  // welcome, then enter-extension, then invalid, then the beep; -6 dB, 1% loss, μ-law.
  const parts = [P('welcome'), P('enter-extension'), P('invalid'), loadWavForPlaybackSync('audio/beep-1000hz.wav').samples];
  const heard = g711RoundTrip(dropFrames(applyGainDb(concat(...parts), -6), 0.01, 3), 'PCMU');
  const offsets = [0, ms(parts[0]!), ms(parts[0]!) + ms(parts[1]!)];

  it.each([
    ['welcome', 0],
    ['enter-extension', 1],
    ['invalid', 2],
  ] as const)('finds %s where it was played', (name, k) => {
    const r = findPrompt(heard, P(name));
    expect(r.matches).toBe(true);
    // Speech starts 300 ms into each prompt file; trimming may drop a quiet first consonant.
    expect(Math.abs(r.startMs - (offsets[k]! + 300))).toBeLessThanOrEqual(100);
  });

  it.each(['enter-pin', 'goodbye', 'new-messages-2', 'sales-press-1', 'main-menu', 'message-recorded'])('does not find %s', (name) => {
    expect(findPrompt(heard, P(name)).matches).toBe(false);
  });

  it('finds "For sales, press 1." inside the auto-attendant prompt, and not "press 2"', () => {
    const aa = g711RoundTrip(P('auto-attendant'), 'PCMA');
    const one = findPrompt(aa, P('sales-press-1'));
    expect(one.matches).toBe(true);
    // "Welcome." takes about a second before "For sales".
    expect(one.startMs).toBeGreaterThan(1000);
    expect(findPrompt(aa, P('sales-press-2')).matches).toBe(false);
  });

  it('nothing to search in: no match, no position', () => {
    expect(findPrompt(new Int16Array(8000), P('goodbye'))).toMatchObject({ matches: false, score: 0, startMs: -1 });
  });
});

describe('identifyPrompt', () => {
  const refs = new Map(
    readdirSync('audio/prompts')
      .filter((f) => f.endsWith('.wav'))
      .map((f) => [f.replace('.wav', ''), fingerprint(P(f.replace('.wav', '')))] as const),
  );

  it.each(['new-messages-2', 'sales-press-2', 'enter-pin', 'goodbye'])('names %s among all prompts after A-law and -10 dB', (name) => {
    const id = identifyPrompt(g711RoundTrip(applyGainDb(P(name), -10), 'PCMA'), refs);
    expect(id.name).toBe(name);
    expect(id.score).toBeGreaterThan(id.runnerUp!.score + 0.2);
  });

  it('names nothing when the audio is none of them', () => {
    const id = identifyPrompt(loadWavForPlaybackSync('audio/message.wav').samples, refs);
    expect(id.name).toBeUndefined();
    expect(id.best).toBeDefined();
  });
});
