/**
 * The sound card as the call sees it, independent of naudiodon: 20 ms frames of 8 kHz mono Int16 out
 * to the speakers and in from the microphone, whatever rate the device itself runs at.
 *
 * Latency and the media path:
 * - AudioOutput.write() never blocks: it queues the frame and returns. A device-paced pump behind it
 *   takes 10 ms chunks from a queue bounded to a few frames (older audio is dropped to catch up when the
 *   far end runs faster than the sound card), and plays silence when the queue is empty.
 * - AudioInput is pulled: the RTP sender's poll() calls read() once per ptime and gets the oldest
 *   complete frame, or undefined when none is ready yet (the pacer then decides: skip or send silence).
 *   The queue behind read() is bounded too, so a sound card running faster than the pacer never builds
 *   up delay. onFrame() observers see each frame the moment it is complete (meters, tests, latency
 *   measurement).
 */
import type { AudioDeviceFailedError } from './errors.js';

/** The rate of every frame crossing this interface (G.711's rate). */
export const FRAME_RATE = 8000;
/** 20 ms at 8 kHz: the ptime of every frame crossing this interface. */
export const FRAME_SAMPLES = 160;
export const FRAME_MS = 20;

/** One device as PortAudio lists it (the `umphone devices` table). */
export interface AudioDeviceInfo {
  /** PortAudio's device index: what --output-device 3 selects. */
  index: number;
  name: string;
  /** The host API the device belongs to (ALSA, CoreAudio, WASAPI, ...). */
  hostApi: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  isDefaultInput: boolean;
  isDefaultOutput: boolean;
}

/** How --output-device / --input-device name a device: an index, a name substring, or the default. */
export type AudioDeviceSelector = number | string | undefined;

export interface AudioOutputStats {
  /** Frames handed to write(). */
  framesWritten: number;
  /** Device-rate samples played as silence (nothing queued, at the start, or after an underrun). */
  silenceSamples: number;
  /** Times the queue ran dry while playing (the far end's audio was late). */
  underruns: number;
  /** Device-rate samples dropped from the head of the queue to keep the delay bounded. */
  droppedSamples: number;
  /** Device-rate samples waiting in the queue now. */
  queuedSamples: number;
}

export interface AudioInputStats {
  /** Complete 8 kHz frames produced from the device. */
  framesCaptured: number;
  /** Frames dropped because nobody read them in time (the queue behind read() is bounded). */
  framesDropped: number;
  /** Frames waiting for read() now. */
  queuedFrames: number;
}

export interface AudioOutput {
  /** Name of the device (or "null"). */
  readonly deviceName: string;
  /** Rate the device runs at; frames are resampled from 8 kHz to it. */
  readonly deviceRate: number;
  /** Queue one frame of 8 kHz Int16 (normally 160 samples) for playing. Never blocks. */
  write(frame: Int16Array): void;
  /** Called at most once when the device fails mid-call; the output then discards what it gets. */
  onError(handler: (error: AudioDeviceFailedError) => void): void;
  stats(): AudioOutputStats;
  /** Play what is queued, then release the device. */
  close(): Promise<void>;
}

export interface AudioInput {
  readonly deviceName: string;
  readonly deviceRate: number;
  /** The oldest complete 20 ms frame of 8 kHz Int16, or undefined when none is ready. Never blocks. */
  read(): Int16Array | undefined;
  /** Observe each frame as soon as it is complete (does not consume it from read()). */
  onFrame(handler: (frame: Int16Array) => void): void;
  /** Called at most once when the device fails mid-call; read() then returns silence. */
  onError(handler: (error: AudioDeviceFailedError) => void): void;
  stats(): AudioInputStats;
  close(): Promise<void>;
}
