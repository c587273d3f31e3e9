/**
 * The sound card for the commands that carry a conversation (`call`, `listen`): the options, when to
 * use it, and opening it. Written once so both commands decide and fail the same way:
 * - `--audio` / `--no-audio` choose; without either the card is used when stdout is a terminal outside
 *   CI (a person is there to hear it) and the machine has a sound system;
 * - a card that does not open is one line on stderr, and the calls go on without sound.
 */
import { existsSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { openAudio, type OpenedAudio } from '../media/device/open.js';
import type { AudioInput, AudioOutput } from '../media/device/device.js';
import type { AudioChoice } from './call-settings.js';
import { oneLine, type CliIo } from './context.js';

/** The help group of the media options (call's, listen's). */
export const MEDIA_GROUP = 'Media and sound';

/** yargs options shared by `call` and `listen`. */
export const SOUND_OPTIONS = {
  audio: {
    group: MEDIA_GROUP,
    type: 'boolean',
    describe: 'Use the sound card (default: when stdout is a terminal outside CI); --no-audio: never',
  },
  'output-device': { group: MEDIA_GROUP, type: 'string', describe: 'Speaker: device index or name part (see `umphone devices`)' },
  'input-device': { group: MEDIA_GROUP, type: 'string', describe: 'Microphone: device index or name part' },
} as const;

/** What SOUND_OPTIONS parse into. */
export interface SoundChoice {
  audio: AudioChoice;
  outputDevice?: string | number;
  inputDevice?: string | number;
}

/** --audio → on, --no-audio → off, neither → auto. */
export function audioChoice(flag: boolean | undefined): AudioChoice {
  return flag === undefined ? 'auto' : flag ? 'on' : 'off';
}

/** Whether to open the sound card: --audio / --no-audio, else only on a terminal outside CI. */
export function wantSoundCard(s: Pick<SoundChoice, 'audio'>, io: Pick<CliIo, 'stdoutIsTTY' | 'env'>): boolean {
  if (s.audio !== 'auto') return s.audio === 'on';
  return io.stdoutIsTTY && !io.env['CI'];
}

/**
 * Whether this machine has anything PortAudio could open: always assumed off Linux; on Linux an ALSA
 * device node or a PulseAudio/PipeWire server (env or the user's runtime socket).
 */
export function soundSystemPresent(env: Readonly<Record<string, string | undefined>>, exists: (p: string) => boolean = existsSync): boolean {
  if (process.platform !== 'linux') return true;
  if (env['PULSE_SERVER'] || env['PIPEWIRE_REMOTE']) return true;
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime && (exists(`${runtime}/pulse/native`) || exists(`${runtime}/pipewire-0`))) return true;
  return exists('/dev/snd');
}

/**
 * Open the sound card when the choice and the terminal say so; undefined when not wanted or when it
 * cannot be opened (`warn` gets the one line saying why and what to do).
 */
export async function openSoundCard(s: SoundChoice, io: Pick<CliIo, 'stdoutIsTTY' | 'env'>, clock: Clock, warn: (line: string) => void): Promise<OpenedAudio | undefined> {
  if (!wantSoundCard(s, io)) return undefined;
  if (s.audio !== 'on' && !soundSystemPresent(io.env)) {
    // PortAudio would only fill the terminal with ALSA's own complaints before finding nothing.
    warn('umphone: no sound card here (no /dev/snd, no PulseAudio or PipeWire socket): going on without sound (--audio tries anyway)');
    return undefined;
  }
  try {
    return await openAudio({
      clock,
      ...(s.outputDevice !== undefined ? { outputDevice: s.outputDevice } : {}),
      ...(s.inputDevice !== undefined ? { inputDevice: s.inputDevice } : {}),
    });
  } catch (e) {
    warn(`umphone: ${oneLine((e as Error).message)}; going on without sound`);
    return undefined;
  }
}

/**
 * One sound card, several calls (`listen` takes calls side by side): the card goes to one call at a
 * time, from its answer to its end. Two calls on it would mix into one speaker and each get every
 * other microphone frame.
 */
export class SoundCardTurns<C extends { readonly ended: Promise<unknown> }> {
  private holder: C | undefined;

  constructor(private readonly audio: OpenedAudio | undefined) {}

  /** The call holding the card now. */
  get current(): C | undefined {
    return this.holder;
  }

  /** The card for `call` when it is free (kept until the call ends), else nothing: the call goes without sound. */
  take(call: C): { output?: AudioOutput; input?: AudioInput } {
    if (!this.audio || (this.holder !== undefined && this.holder !== call)) return {};
    this.holder = call;
    void call.ended.then(() => {
      if (this.holder === call) this.holder = undefined;
    });
    return { output: this.audio.output, input: this.audio.input };
  }
}
