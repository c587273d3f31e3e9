/**
 * The part of naudiodon's API we use, declared structurally (the package is optional, so its own
 * typings may be absent), and the one place that constructs its streams.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../../util/clock.js';
import type { AudioDeviceInfo } from './device.js';
import { AudioDeviceOpenError } from './errors.js';
import { explainDeviceFailure } from './explain.js';
import type { RateConverterFactory } from './rate-converter.js';

export interface NaudiodonDeviceInfo {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}

export interface NaudiodonHostApis {
  defaultHostAPI: number;
  HostAPIs: { id: number; name: string; defaultInput: number; defaultOutput: number }[];
}

export interface NaudiodonStreamOptions {
  deviceId: number;
  sampleRate: number;
  channelCount: number;
  sampleFormat: 16;
  /** Chunks the addon queues between JavaScript and the PortAudio callback (default 2). */
  maxQueue: number;
  /** Bytes per read for input streams (default 16384: a second at 8 kHz, far too much delay). */
  highwaterMark: number;
  /** false: an xrun is printed, not turned into a stream error that destroys the stream. */
  closeOnError: boolean;
}

/** A naudiodon stream: a Node Readable (input) or Writable (output) plus start/quit/abort. */
export interface NaudiodonStream extends EventEmitter {
  start(): void;
  quit(cb?: () => void): void;
  abort(cb?: () => void): void;
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(err?: Error): void;
}

export interface NaudiodonModule {
  getDevices(): NaudiodonDeviceInfo[];
  getHostAPIs(): NaudiodonHostApis;
  AudioIO(options: { inOptions: NaudiodonStreamOptions } | { outOptions: NaudiodonStreamOptions }): NaudiodonStream;
}

/** What the card hands each stream it opens. */
export interface DeviceStreamOptions {
  clock: Clock;
  converter: RateConverterFactory;
  chunkMs: number;
  stallMs: number;
  /** Overrides the device's defaultSampleRate. */
  sampleRate?: number;
}

/**
 * Stop a stream at once, never throwing. naudiodon's abort() passes two arguments to the addon's quit,
 * which accepts exactly one and throws "AudioIO Quit expects 1 argument" (naudiodon 2.3.6): called bare
 * from a timer, that throw is an uncaught exception that takes the process down. The stream is then
 * destroyed, so Node releases it even when the addon would not stop.
 */
export function abortStream(stream: NaudiodonStream): void {
  try {
    stream.abort();
  } catch {
    // The addon's own bug (above), or the device is already gone: destroy() below still releases it.
  }
  try {
    stream.destroy();
  } catch {
    // already destroyed
  }
}

/** The device's own rate (PortAudio's defaultSampleRate, unless overridden), sanitized. */
export function deviceRateOf(device: AudioDeviceInfo, override?: number): number {
  const r = Math.round(override ?? device.defaultSampleRate);
  return r >= 8000 && r <= 384000 ? r : 48000;
}

/**
 * Open a stream in mono; a device that refuses mono (many ALSA hw: devices are stereo only) is opened
 * in stereo instead. Returns the stream (not started) and its channel count.
 */
export function openDeviceStream(
  mod: NaudiodonModule,
  direction: 'input' | 'output',
  device: AudioDeviceInfo,
  base: Omit<NaudiodonStreamOptions, 'channelCount' | 'deviceId'>,
): { stream: NaudiodonStream; channels: number } {
  const maxChannels = direction === 'input' ? device.maxInputChannels : device.maxOutputChannels;
  const tries = maxChannels >= 2 ? [1, 2] : [1];
  let last: unknown;
  for (const channels of tries) {
    const opts: NaudiodonStreamOptions = { ...base, deviceId: device.index, channelCount: channels };
    try {
      const stream = direction === 'input' ? mod.AudioIO({ inOptions: opts }) : mod.AudioIO({ outOptions: opts });
      return { stream, channels };
    } catch (err) {
      last = err;
      const unavailable = explainDeviceFailure(err);
      if (unavailable) throw unavailable;
    }
  }
  const why = last instanceof Error ? last.message : String(last);
  throw new AudioDeviceOpenError(direction, device.name, why);
}
