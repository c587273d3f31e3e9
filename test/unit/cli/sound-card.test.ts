/**
 * The sound card shared by `call` and `listen` (sound-card.ts): --audio/--no-audio read the same way,
 * no card opened when not wanted or when the machine has no sound system (one line says so), and with
 * several calls the card goes to one at a time, from its answer to its end.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { NullAudioInput, NullAudioOutput } from '../../../src/media/device/null.js';
import type { OpenedAudio } from '../../../src/media/device/open.js';
import { audioChoice, openSoundCard, SOUND_OPTIONS, SoundCardTurns } from '../../../src/cli/sound-card.js';

describe('audioChoice', () => {
  it.each([[undefined, 'auto'], [true, 'on'], [false, 'off']] as const)('%s → %s', (flag, want) => {
    expect(audioChoice(flag)).toBe(want);
  });
});

describe('SOUND_OPTIONS', () => {
  it('defines --audio (and so --no-audio), --output-device and --input-device', () => {
    expect(Object.keys(SOUND_OPTIONS)).toEqual(['audio', 'output-device', 'input-device']);
    expect(SOUND_OPTIONS.audio.type).toBe('boolean');
  });
});

describe('openSoundCard', () => {
  const clock = new ManualClock();
  it.each([
    ['--no-audio, on a terminal', { audio: 'off' }, true, {}],
    ['auto, not a terminal', { audio: 'auto' }, false, { PULSE_SERVER: 'unix:/nowhere' }],
    ['auto, a terminal in CI', { audio: 'auto' }, true, { CI: 'true', PULSE_SERVER: 'unix:/nowhere' }],
  ] as const)('%s: nothing opened, nothing said', async (_name, choice, tty, env) => {
    const lines: string[] = [];
    expect(await openSoundCard(choice, { stdoutIsTTY: tty, env }, clock, (l) => lines.push(l))).toBeUndefined();
    expect(lines).toEqual([]);
  });

  // The environment is the test's own; only the machine's /dev/snd could say otherwise.
  it.skipIf(process.platform !== 'linux' || existsSync('/dev/snd'))('auto on a terminal without any sound system: one line, no card', async () => {
    const lines: string[] = [];
    const env = { XDG_RUNTIME_DIR: '/nonexistent-umphone-test' };
    expect(await openSoundCard({ audio: 'auto' }, { stdoutIsTTY: true, env }, clock, (l) => lines.push(l))).toBeUndefined();
    expect(lines).toEqual(['umphone: no sound card here (no /dev/snd, no PulseAudio or PipeWire socket): going on without sound (--audio tries anyway)']);
  });
});

describe('SoundCardTurns', () => {
  const card: OpenedAudio = { output: new NullAudioOutput(), input: new NullAudioInput(), close: () => Promise.resolve() };
  const call = () => {
    let end!: () => void;
    const ended = new Promise<void>((r) => { end = r; });
    return { ended, end };
  };

  it('gives the card to the first call, none to a second while the first lasts, and again once it ended', async () => {
    const turns = new SoundCardTurns(card);
    const a = call();
    const b = call();
    const c = call();
    expect(turns.take(a)).toEqual({ output: card.output, input: card.input });
    expect(turns.take(a)).toEqual({ output: card.output, input: card.input });
    expect(turns.take(b)).toEqual({});
    expect(turns.current).toBe(a);
    a.end();
    await a.ended;
    await Promise.resolve();
    expect(turns.current).toBeUndefined();
    expect(turns.take(c)).toEqual({ output: card.output, input: card.input });
    expect(turns.current).toBe(c);
  });

  it('without a card every call goes without sound', () => {
    const turns = new SoundCardTurns(undefined);
    expect(turns.take(call())).toEqual({});
    expect(turns.current).toBeUndefined();
  });
});
