/**
 * The sound card through naudiodon (Node streams over PortAudio). The only file that loads the addon.
 *
 * The addon is optional and native, so it is loaded lazily, inside a try: a machine without it, without
 * libasound2 (PortAudio's ALSA backend) or without any device still runs every other feature, and the
 * user gets one line saying what to install. Facts about the addon that shape this code (naudiodon
 * 2.3.6; naudiodon2 has the same code):
 * - Loading it registers a SIGSEGV handler (segfault-handler) that writes ./crash.log.
 * - Every stream open prints PortAudio's version and the stream settings to stdout from C++, and
 *   closing an output prints "Finishing output ..." the same way. That cannot be turned off from
 *   JavaScript: keep stdout for humans, put machine-readable output in files. PortAudio's ALSA probing
 *   also prints "ALSA lib ..." lines to stderr when devices are listed.
 * - Each open stream keeps one libuv thread-pool thread blocked in a read or write (the addon's
 *   blocking queue): input plus output use 2 of the default 4 (raise UV_THREADPOOL_SIZE if fs or dns
 *   work stalls).
 * - No device at all makes the constructor throw "No default device".
 */
import type { Clock } from '../../util/clock.js';
import type { AudioDeviceInfo, AudioDeviceSelector, AudioInput, AudioOutput } from './device.js';
import { SoundCardUnavailableError } from './errors.js';
import { explainDeviceFailure, explainLoadFailure } from './explain.js';
import type { NaudiodonModule } from './naudiodon-module.js';
import { NaudiodonAudioInput } from './naudiodon-input.js';
import { NaudiodonAudioOutput } from './naudiodon-output.js';
import type { RateConverterFactory } from './rate-converter.js';
import { createRateConverter } from './rate-converter.js';
import { selectDevice } from './select.js';

export type { NaudiodonModule } from './naudiodon-module.js';
export { explainDeviceFailure, explainLoadFailure } from './explain.js';

/** How the addon is obtained; tests inject one that throws or returns a fake. */
export type NaudiodonLoader = () => Promise<NaudiodonModule>;

export const loadNaudiodonAddon: NaudiodonLoader = async () => {
  // A variable specifier keeps TypeScript from requiring the optional package's types at build time.
  const name = 'naudiodon';
  const mod = (await import(name)) as { default?: NaudiodonModule } & NaudiodonModule;
  return mod.default ?? mod;
};

export interface NaudiodonOptions {
  clock: Clock;
  loader?: NaudiodonLoader;
  converter?: RateConverterFactory;
  /** Size of each chunk handed to the output device (ms, default 5). Smaller means less delay and more
   *  wake-ups (docs/measurements/sound-card.md). */
  chunkMs?: number;
  /** A stream that moves no audio for this long has failed (ms). */
  stallMs?: number;
  /** Open devices at this rate instead of their defaultSampleRate (tests; fixed-rate hardware). */
  sampleRate?: number;
}

export class NaudiodonSoundCard {
  private devices: AudioDeviceInfo[] | undefined;

  private constructor(
    private readonly mod: NaudiodonModule,
    private readonly options: NaudiodonOptions,
  ) {}

  /** Load the addon; throws SoundCardUnavailableError with a remedy when it cannot be used. */
  static async load(options: NaudiodonOptions): Promise<NaudiodonSoundCard> {
    let mod: NaudiodonModule;
    try {
      mod = await (options.loader ?? loadNaudiodonAddon)();
    } catch (err) {
      throw explainLoadFailure(err);
    }
    if (typeof mod?.getDevices !== 'function' || typeof mod.AudioIO !== 'function') {
      throw new SoundCardUnavailableError('naudiodon loaded but has no getDevices/AudioIO', 'npm rebuild naudiodon');
    }
    return new NaudiodonSoundCard(mod, options);
  }

  /** Every device PortAudio lists, with the host's default input and output marked. */
  listDevices(): AudioDeviceInfo[] {
    if (this.devices) return this.devices;
    let raw: ReturnType<NaudiodonModule['getDevices']>;
    let apis: ReturnType<NaudiodonModule['getHostAPIs']> | undefined;
    try {
      raw = this.mod.getDevices();
      apis = typeof this.mod.getHostAPIs === 'function' ? this.mod.getHostAPIs() : undefined;
    } catch (err) {
      throw explainDeviceFailure(err) ?? explainLoadFailure(err);
    }
    // PortAudio's default devices are those of the default host API (global device indices); the
    // addon reports "none" (-1) as 4294967295 since it passes them through as uint32.
    const host = apis?.HostAPIs.find((h) => h.id === apis!.defaultHostAPI) ?? apis?.HostAPIs[0];
    const defIn = host && host.defaultInput < 0x7fffffff ? host.defaultInput : -1;
    const defOut = host && host.defaultOutput < 0x7fffffff ? host.defaultOutput : -1;
    this.devices = raw.map((d) => ({
      index: d.id,
      name: d.name,
      hostApi: d.hostAPIName,
      maxInputChannels: d.maxInputChannels,
      maxOutputChannels: d.maxOutputChannels,
      defaultSampleRate: d.defaultSampleRate,
      isDefaultInput: d.id === defIn,
      isDefaultOutput: d.id === defOut,
    }));
    return this.devices;
  }

  private usableDevices(): AudioDeviceInfo[] {
    const devices = this.listDevices();
    if (devices.length === 0) {
      throw new SoundCardUnavailableError(
        'PortAudio lists no audio devices',
        'plug in a sound card, or on a headless Linux install pulseaudio libasound2-plugins and start it',
      );
    }
    return devices;
  }

  openOutput(selector?: AudioDeviceSelector): AudioOutput {
    const device = selectDevice(this.usableDevices(), 'output', selector);
    return NaudiodonAudioOutput.open(this.mod, device, this.streamOptions());
  }

  openInput(selector?: AudioDeviceSelector): AudioInput {
    const device = selectDevice(this.usableDevices(), 'input', selector);
    return NaudiodonAudioInput.open(this.mod, device, this.streamOptions());
  }

  private streamOptions() {
    return {
      clock: this.options.clock,
      converter: this.options.converter ?? createRateConverter,
      chunkMs: this.options.chunkMs ?? 5,
      stallMs: this.options.stallMs ?? 1000,
      ...(this.options.sampleRate ? { sampleRate: this.options.sampleRate } : {}),
    };
  }
}
