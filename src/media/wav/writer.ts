/**
 * Streaming 16-bit PCM WAV writer for call recordings.
 *
 * The file must stay a valid WAV even if the process is killed (SIGKILL) mid-call, so the RIFF and
 * data sizes in the 44-byte header are rewritten as the file grows (every `patchEveryMs` of audio,
 * default 500 ms, which at real time is at least once a second) and on close(). Sizes always
 * describe data that is already on disk: the samples are written first, then the header. After a
 * kill, at most the audio written since the last patch is outside the declared data chunk.
 *
 * Synchronous writes on a file descriptor: at 16–32 KB/s they cost microseconds and keep the order
 * of data and header writes obvious. A write error is reported once (onError / `error`), then the
 * writer goes quiet; it never throws into the media path. close() is idempotent.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { WAVE_FORMAT_PCM, WavWriteError } from './format.js';

export interface WavWriterOptions {
  /** 1 = mono, 2 = stereo (recordings with --record-both: left = received, right = sent). */
  channels?: 1 | 2;
  sampleRate?: number;
  /** Rewrite the header sizes after this much audio (ms). */
  patchEveryMs?: number;
  onError?: (err: WavWriteError) => void;
}

const HEADER_BYTES = 44;
/** RIFF sizes are 32-bit; stop short of 4 GiB rather than write a corrupt header. */
const MAX_DATA_BYTES = 0xffffffff - (HEADER_BYTES - 8);

/** The canonical 44-byte header: RIFF, fmt (PCM, 16 bytes), data. */
export function wavHeader(dataBytes: number, sampleRate: number, channels: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavWriter {
  readonly path: string;
  readonly channels: 1 | 2;
  readonly sampleRate: number;
  private fd: number | undefined;
  private dataBytes = 0;
  private patchedAt = 0;
  private readonly patchEveryBytes: number;
  private readonly onError: ((err: WavWriteError) => void) | undefined;
  private failure: WavWriteError | undefined;

  /** Creates (truncates) the file and writes an empty header. Throws WavWriteError if it cannot. */
  static open(path: string, options: WavWriterOptions = {}): WavWriter {
    return new WavWriter(path, options);
  }

  private constructor(path: string, options: WavWriterOptions) {
    this.path = path;
    this.channels = options.channels ?? 1;
    this.sampleRate = options.sampleRate ?? 8000;
    this.onError = options.onError;
    this.patchEveryBytes = Math.max(1, Math.round(((options.patchEveryMs ?? 500) * this.sampleRate) / 1000)) * this.channels * 2;
    try {
      this.fd = openSync(path, 'w');
      writeSync(this.fd, wavHeader(0, this.sampleRate, this.channels), 0, HEADER_BYTES, 0);
    } catch (err) {
      if (this.fd !== undefined) closeSync(this.fd);
      throw new WavWriteError(path, err);
    }
  }

  /** The first write error, if any (writing has stopped since). */
  get error(): WavWriteError | undefined {
    return this.failure;
  }
  get closed(): boolean {
    return this.fd === undefined;
  }
  /** Sample frames written (one sample per channel each). */
  get frames(): number {
    return this.dataBytes / (this.channels * 2);
  }
  get durationMs(): number {
    return (this.frames * 1000) / this.sampleRate;
  }

  /** Appends mono samples (for a stereo file, they go to both channels). */
  write(pcm: Int16Array): void {
    if (this.channels === 2) {
      this.writeStereo(pcm, pcm);
      return;
    }
    const b = Buffer.allocUnsafe(pcm.length * 2);
    for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i]!, i * 2);
    this.append(b);
  }

  /**
   * Appends one block of both directions, sample-aligned: left[i] and right[i] form frame i.
   * The shorter side is padded with silence so the channels never drift apart.
   */
  writeStereo(left: Int16Array, right: Int16Array): void {
    if (this.channels !== 2) {
      this.report(new Error('writeStereo() on a mono recording'));
      return;
    }
    const n = Math.max(left.length, right.length);
    const b = Buffer.allocUnsafe(n * 4);
    for (let i = 0; i < n; i++) {
      b.writeInt16LE(left[i] ?? 0, i * 4);
      b.writeInt16LE(right[i] ?? 0, i * 4 + 2);
    }
    this.append(b);
  }

  /** Writes silence (e.g. for a lost packet or a gap in one direction). */
  writeSilence(frames: number): void {
    if (frames > 0) this.append(Buffer.alloc(frames * this.channels * 2));
  }

  private append(bytes: Buffer): void {
    if (this.fd === undefined || this.failure !== undefined) return;
    if (this.dataBytes + bytes.length > MAX_DATA_BYTES) {
      this.report(new Error('the 4 GiB WAV size limit is reached'));
      return;
    }
    try {
      writeSync(this.fd, bytes, 0, bytes.length, HEADER_BYTES + this.dataBytes);
      this.dataBytes += bytes.length;
      if (this.dataBytes - this.patchedAt >= this.patchEveryBytes) this.patchHeader();
    } catch (err) {
      this.report(err);
    }
  }

  /** Rewrites the RIFF size (offset 4) and the data size (offset 40) for the data on disk. */
  private patchHeader(): void {
    if (this.fd === undefined) return;
    const riff = Buffer.alloc(4);
    riff.writeUInt32LE(36 + this.dataBytes, 0);
    const data = Buffer.alloc(4);
    data.writeUInt32LE(this.dataBytes, 0);
    writeSync(this.fd, riff, 0, 4, 4);
    writeSync(this.fd, data, 0, 4, 40);
    this.patchedAt = this.dataBytes;
  }

  /** Finalizes the header and closes the file. Safe to call more than once; never throws. */
  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    try {
      if (this.failure === undefined) this.patchHeader();
    } catch (err) {
      this.report(err);
    }
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err instanceof WavWriteError ? err : new WavWriteError(this.path, err);
    this.onError?.(this.failure);
  }
}
