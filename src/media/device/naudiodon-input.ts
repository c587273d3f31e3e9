/**
 * Capturing 20 ms frames of 8 kHz from a naudiodon input stream running at the device's own rate.
 *
 * The stream reads one 20 ms chunk at a time (highwaterMark = one frame at the device rate; naudiodon's
 * default of 16384 bytes would hold a second of audio). Each chunk is resampled to 8 kHz, cut into
 * 160-sample frames, shown to onFrame observers at once, and queued for read(). The RTP pacer pulls
 * read() on its own clock; the queue between the two clocks is bounded (3 frames, trimmed to 1), so a
 * card that runs faster than the pacer never builds up delay and read() never waits.
 */
import type { TimerHandle } from '../../util/clock.js';
import { FRAME_MS, FRAME_RATE, FRAME_SAMPLES } from './device.js';
import type { AudioDeviceInfo, AudioInput, AudioInputStats } from './device.js';
import { AudioDeviceFailedError } from './errors.js';
import { abortStream, deviceRateOf, openDeviceStream } from './naudiodon-module.js';
import type { DeviceStreamOptions, NaudiodonModule, NaudiodonStream } from './naudiodon-module.js';
import type { RateConverter } from './rate-converter.js';
import { SampleQueue } from './sample-queue.js';

type InputState = 'running' | 'failed' | 'closed';

export class NaudiodonAudioInput implements AudioInput {
  readonly deviceName: string;
  readonly deviceRate: number;
  private state: InputState = 'running';
  private readonly converter: RateConverter;
  /** Converted samples not yet a whole frame. */
  private readonly assembler = new SampleQueue({ maxSamples: FRAME_RATE, trimToSamples: FRAME_SAMPLES });
  /** Whole frames waiting for read(). */
  private readonly ready = new SampleQueue({ maxSamples: 3 * FRAME_SAMPLES, trimToSamples: FRAME_SAMPLES });
  private framesCaptured = 0;
  private frameHandlers: ((frame: Int16Array) => void)[] = [];
  private errorHandlers: ((error: AudioDeviceFailedError) => void)[] = [];
  private failure: AudioDeviceFailedError | undefined;
  private watchdog: TimerHandle | undefined;

  private constructor(
    private readonly stream: NaudiodonStream,
    private readonly channels: number,
    device: AudioDeviceInfo,
    rate: number,
    private readonly options: DeviceStreamOptions,
  ) {
    this.deviceName = device.name;
    this.deviceRate = rate;
    this.converter = options.converter(rate, FRAME_RATE);
  }

  static open(mod: NaudiodonModule, device: AudioDeviceInfo, options: DeviceStreamOptions): NaudiodonAudioInput {
    const rate = deviceRateOf(device, options.sampleRate);
    const frameBytes = (channels: number): number => 2 * channels * Math.round((rate * FRAME_MS) / 1000);
    // highwaterMark is per stream; a stereo fallback would read 10 ms at a time, which is still fine.
    const { stream, channels } = openDeviceStream(mod, 'input', device, {
      sampleRate: rate,
      sampleFormat: 16,
      // The PortAudio callback BLOCKS when this queue is full (and the device then overruns): room for
      // many callbacks costs no delay, since the reader drains it as fast as it fills.
      maxQueue: 32,
      highwaterMark: frameBytes(1),
      closeOnError: false,
    });
    const input = new NaudiodonAudioInput(stream, channels, device, rate, options);
    input.start();
    return input;
  }

  private start(): void {
    this.stream.removeAllListeners('error');
    this.stream.on('error', (err: unknown) => this.fail(`stream error: ${String((err as Error)?.message ?? err)}`));
    this.stream.on('data', (buf: Buffer) => this.onData(buf));
    this.stream.on('end', () => this.fail('the stream ended'));
    this.armWatchdog();
    try {
      this.stream.start();
    } catch (err) {
      this.fail(`could not start: ${String((err as Error)?.message ?? err)}`);
    }
  }

  read(): Int16Array | undefined {
    if (this.state === 'failed') return new Int16Array(FRAME_SAMPLES);
    return this.ready.take(FRAME_SAMPLES);
  }

  onFrame(handler: (frame: Int16Array) => void): void {
    this.frameHandlers.push(handler);
  }

  onError(handler: (error: AudioDeviceFailedError) => void): void {
    this.errorHandlers.push(handler);
    if (this.failure) handler(this.failure);
  }

  stats(): AudioInputStats {
    return {
      framesCaptured: this.framesCaptured,
      framesDropped: Math.round(this.ready.droppedSamples / FRAME_SAMPLES),
      queuedFrames: Math.floor(this.ready.length / FRAME_SAMPLES),
    };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closed';
    this.watchdog?.cancel();
    if (!wasRunning) return;
    await new Promise<void>((resolve) => {
      const guard = this.options.clock.setTimeout(() => {
        abortStream(this.stream);
        resolve();
      }, this.options.stallMs);
      this.stream.quit(() => {
        guard.cancel();
        resolve();
      });
    });
  }

  private onData(buf: Buffer): void {
    if (this.state !== 'running') return;
    this.armWatchdog();
    // Buffers from the addon are fresh copies, but may start at an odd offset in a pooled slab.
    const aligned = buf.byteOffset % 2 === 0 ? buf : Buffer.from(buf);
    const wide = new Int16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 1);
    let mono = wide;
    if (this.channels > 1) {
      // A stereo-only device: the first channel is the microphone.
      mono = new Int16Array(Math.floor(wide.length / this.channels));
      for (let i = 0; i < mono.length; i++) mono[i] = wide[i * this.channels]!;
    }
    this.assembler.push(this.converter.process(mono));
    for (let frame = this.assembler.take(FRAME_SAMPLES); frame; frame = this.assembler.take(FRAME_SAMPLES)) {
      this.framesCaptured++;
      this.ready.push(frame);
      for (const h of this.frameHandlers) h(frame);
    }
  }

  private armWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = this.options.clock.setTimeout(
      () => this.fail(`the device delivered no audio for ${this.options.stallMs} ms`),
      this.options.stallMs,
    );
  }

  private fail(reason: string): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.watchdog?.cancel();
    this.ready.clear();
    this.failure = new AudioDeviceFailedError('input', this.deviceName, reason);
    abortStream(this.stream);
    for (const h of this.errorHandlers) h(this.failure);
  }
}
