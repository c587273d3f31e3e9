/**
 * The one call the composition root (and the end-to-end tests) make: open the output and the input the
 * options name, or the null device with --no-audio. The sound server is whatever the environment says
 * (PULSE_SERVER for PulseAudio): set it before the first call, since PortAudio reads its devices once,
 * when the addon first initializes it.
 */
import type { Clock } from '../../util/clock.js';
import type { AudioDeviceInfo, AudioInput, AudioOutput } from './device.js';
import { NaudiodonSoundCard } from './naudiodon.js';
import type { NaudiodonLoader } from './naudiodon.js';
import { NullAudioInput, NullAudioOutput } from './null.js';
import { parseDeviceSelector } from './select.js';

export interface OpenAudioOptions {
  clock: Clock;
  /** --no-audio: the null device both ways, the addon never loaded. */
  noAudio?: boolean;
  /** --output-device: index or name substring; undefined = the default output. */
  outputDevice?: string | number;
  /** --input-device: index or name substring; undefined = the default input. */
  inputDevice?: string | number;
  /** false: no output wanted (the null output is returned). Default true. */
  output?: boolean;
  /** false: no input wanted (the null input is returned). Default true. */
  input?: boolean;
  loader?: NaudiodonLoader;
  chunkMs?: number;
  stallMs?: number;
  /** Open the devices at this rate instead of their default (8000 makes a PulseAudio test bit-exact). */
  sampleRate?: number;
}

export interface OpenedAudio {
  output: AudioOutput;
  input: AudioInput;
  /** Close both (output first drains what it has queued). */
  close(): Promise<void>;
}

/**
 * Throws SoundCardUnavailableError (addon or devices missing: the message says what to install),
 * AudioDeviceNotFoundError (no device matches) or AudioDeviceOpenError (PortAudio refused it).
 */
export async function openAudio(options: OpenAudioOptions): Promise<OpenedAudio> {
  const wantOut = options.output !== false && !options.noAudio;
  const wantIn = options.input !== false && !options.noAudio;
  let output: AudioOutput = new NullAudioOutput();
  let input: AudioInput = new NullAudioInput();
  if (wantOut || wantIn) {
    const card = await NaudiodonSoundCard.load(cardOptions(options));
    if (wantOut) output = card.openOutput(parseDeviceSelector(options.outputDevice));
    if (wantIn) {
      try {
        input = card.openInput(parseDeviceSelector(options.inputDevice));
      } catch (err) {
        await output.close();
        throw err;
      }
    }
  }
  return {
    output,
    input,
    close: async () => {
      await Promise.all([output.close(), input.close()]);
    },
  };
}

/** The `umphone devices` list; throws SoundCardUnavailableError when the addon cannot be used. */
export async function listAudioDevices(options: Pick<OpenAudioOptions, 'clock' | 'loader'>): Promise<AudioDeviceInfo[]> {
  const card = await NaudiodonSoundCard.load(cardOptions(options));
  return card.listDevices();
}

function cardOptions(options: Pick<OpenAudioOptions, 'clock' | 'loader' | 'chunkMs' | 'stallMs' | 'sampleRate'>) {
  return {
    clock: options.clock,
    ...(options.loader ? { loader: options.loader } : {}),
    ...(options.chunkMs ? { chunkMs: options.chunkMs } : {}),
    ...(options.stallMs ? { stallMs: options.stallMs } : {}),
    ...(options.sampleRate ? { sampleRate: options.sampleRate } : {}),
  };
}
