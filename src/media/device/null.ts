/**
 * The null device (--no-audio, CI, a machine without a sound card): the output discards every frame,
 * the input always has a frame of silence ready. Same interface as the real card, so the call code has
 * one path. Neither can fail, so onError handlers are never called; the null input has no clock of its
 * own, so onFrame observers are never called either (the pacer's read() is what drives it).
 */
import { FRAME_RATE, FRAME_SAMPLES } from './device.js';
import type { AudioInput, AudioInputStats, AudioOutput, AudioOutputStats } from './device.js';
import type { AudioDeviceFailedError } from './errors.js';

export class NullAudioOutput implements AudioOutput {
  readonly deviceName = 'null';
  readonly deviceRate = FRAME_RATE;
  private framesWritten = 0;
  private closed = false;

  write(_frame: Int16Array): void {
    if (!this.closed) this.framesWritten++;
  }
  onError(_handler: (error: AudioDeviceFailedError) => void): void {}
  stats(): AudioOutputStats {
    return { framesWritten: this.framesWritten, silenceSamples: 0, underruns: 0, droppedSamples: 0, queuedSamples: 0 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export class NullAudioInput implements AudioInput {
  readonly deviceName = 'null';
  readonly deviceRate = FRAME_RATE;
  private framesCaptured = 0;

  read(): Int16Array | undefined {
    this.framesCaptured++;
    return new Int16Array(FRAME_SAMPLES);
  }
  onFrame(_handler: (frame: Int16Array) => void): void {}
  onError(_handler: (error: AudioDeviceFailedError) => void): void {}
  stats(): AudioInputStats {
    return { framesCaptured: this.framesCaptured, framesDropped: 0, queuedFrames: 0 };
  }
  async close(): Promise<void> {}
}
