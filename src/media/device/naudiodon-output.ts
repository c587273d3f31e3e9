/**
 * Playing 8 kHz frames on a naudiodon output stream at the device's own rate.
 *
 * Why a device-paced pump: naudiodon's PortAudio callback BLOCKS when its queue is empty (it waits for
 * the next chunk instead of playing silence), and its write() completes only when the chunk fits in a
 * queue of `maxQueue` chunks. So this output keeps exactly one write in flight at all times: when it
 * completes, the next chunk (chunkMs of audio) is taken from the SampleQueue — the frames the call
 * wrote, resampled — or silence when the queue is empty. The sound card's clock thus paces everything,
 * an underrun is a short silence that adds no delay, and the SampleQueue's bound (3 frames, trimmed
 * to 1) keeps a far end that runs fast from building up delay.
 *
 * Delay this adds: the SampleQueue (primed to a frame and a chunk), the addon's pipeline (the chunk being
 * played, maxQueue = 1 queued, one blocked in write: up to 3 × chunkMs), PortAudio/ALSA buffering and
 * the resampler's filter (~4 ms). scripts/latency-sound-card.ts measures the total.
 */
import type { TimerHandle } from '../../util/clock.js';
import { FRAME_MS, FRAME_RATE } from './device.js';
import type { AudioDeviceInfo, AudioOutput, AudioOutputStats } from './device.js';
import { AudioDeviceFailedError } from './errors.js';
import { abortStream, deviceRateOf, openDeviceStream } from './naudiodon-module.js';
import type { DeviceStreamOptions, NaudiodonModule, NaudiodonStream } from './naudiodon-module.js';
import type { RateConverter } from './rate-converter.js';
import { SampleQueue } from './sample-queue.js';

type OutputState = 'running' | 'draining' | 'failed' | 'closed';

/** naudiodon's playback loses the last 40 ms when the stream ends: this much silence goes first. */
const END_PADDING_MS = 40;

export class NaudiodonAudioOutput implements AudioOutput {
  readonly deviceName: string;
  readonly deviceRate: number;
  private state: OutputState = 'running';
  private readonly queue: SampleQueue;
  private readonly converter: RateConverter;
  private readonly chunkSamples: number;
  private framesWritten = 0;
  private errorHandlers: ((error: AudioDeviceFailedError) => void)[] = [];
  private failure: AudioDeviceFailedError | undefined;
  private watchdog: TimerHandle | undefined;
  private inFlight = false;
  private drained: (() => void) | undefined;

  private constructor(
    private readonly stream: NaudiodonStream,
    private readonly channels: number,
    device: AudioDeviceInfo,
    rate: number,
    private readonly options: DeviceStreamOptions,
  ) {
    this.deviceName = device.name;
    this.deviceRate = rate;
    this.converter = options.converter(FRAME_RATE, rate);
    this.chunkSamples = Math.max(1, Math.round((rate * options.chunkMs) / 1000));
    const frame = Math.round((rate * FRAME_MS) / 1000);
    this.queue = new SampleQueue({
      maxSamples: 3 * frame,
      trimToSamples: frame + this.chunkSamples,
      primeSamples: frame + this.chunkSamples,
    });
  }

  static open(mod: NaudiodonModule, device: AudioDeviceInfo, options: DeviceStreamOptions): NaudiodonAudioOutput {
    const rate = deviceRateOf(device, options.sampleRate);
    const chunkBytes = 2 * Math.round((rate * options.chunkMs) / 1000);
    const { stream, channels } = openDeviceStream(mod, 'output', device, {
      sampleRate: rate,
      sampleFormat: 16,
      maxQueue: 1,
      highwaterMark: chunkBytes,
      closeOnError: false,
    });
    const out = new NaudiodonAudioOutput(stream, channels, device, rate, options);
    out.start();
    return out;
  }

  private start(): void {
    // naudiodon installs an 'error' listener that only console.error()s; ours reports once instead.
    this.stream.removeAllListeners('error');
    this.stream.on('error', (err: unknown) => this.fail(`stream error: ${String((err as Error)?.message ?? err)}`));
    try {
      this.stream.start();
    } catch (err) {
      this.fail(`could not start: ${String((err as Error)?.message ?? err)}`);
      return;
    }
    this.pump();
  }

  write(frame: Int16Array): void {
    if (this.state !== 'running') return;
    this.framesWritten++;
    this.queue.push(this.converter.process(frame));
  }

  onError(handler: (error: AudioDeviceFailedError) => void): void {
    this.errorHandlers.push(handler);
    if (this.failure) handler(this.failure);
  }

  stats(): AudioOutputStats {
    return {
      framesWritten: this.framesWritten,
      silenceSamples: this.queue.silenceSamples,
      underruns: this.queue.underruns,
      droppedSamples: this.queue.droppedSamples,
      queuedSamples: this.queue.length,
    };
  }

  /** Play what is queued (plus the padding naudiodon eats), then release the device. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'failed') {
      this.state = 'closed';
      abortStream(this.stream);
      return;
    }
    this.state = 'draining';
    if (this.inFlight) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.state !== 'draining') return;
    const pad = Math.round((this.deviceRate * END_PADDING_MS) / 1000);
    const rest = this.queue.takeOrSilence(this.queue.length + pad);
    await new Promise<void>((resolve) => {
      const guard = this.options.clock.setTimeout(() => {
        abortStream(this.stream);
        resolve();
      }, this.options.stallMs + (1000 * rest.length) / this.deviceRate);
      this.stream.once('finished', () => {
        guard.cancel();
        resolve();
      });
      this.stream.write(this.toBuffer(rest), () => undefined);
      this.stream.end();
    });
    this.state = 'closed';
  }

  /** Keep exactly one chunk in flight; the device's consumption paces the loop. */
  private pump(): void {
    if (this.state !== 'running') {
      this.drained?.();
      this.drained = undefined;
      return;
    }
    const chunk = this.queue.takeOrSilence(this.chunkSamples);
    this.inFlight = true;
    this.watchdog = this.options.clock.setTimeout(
      () => this.fail(`the device took no audio for ${this.options.stallMs} ms`),
      this.options.stallMs,
    );
    this.stream.write(this.toBuffer(chunk), (err) => {
      this.inFlight = false;
      this.watchdog?.cancel();
      if (err) this.fail(`write failed: ${String(err.message ?? err)}`);
      this.pump();
    });
  }

  private toBuffer(samples: Int16Array): Buffer {
    if (this.channels === 1) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    const wide = new Int16Array(samples.length * this.channels);
    for (let i = 0; i < samples.length; i++) {
      for (let c = 0; c < this.channels; c++) wide[i * this.channels + c] = samples[i]!;
    }
    return Buffer.from(wide.buffer);
  }

  private fail(reason: string): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.watchdog?.cancel();
    this.queue.clear();
    this.failure = new AudioDeviceFailedError('output', this.deviceName, reason);
    abortStream(this.stream);
    this.drained?.();
    this.drained = undefined;
    for (const h of this.errorHandlers) h(this.failure);
  }
}
