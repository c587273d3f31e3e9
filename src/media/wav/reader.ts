/**
 * WAV reader for playback: any common RIFF/WAVE file -> 8 kHz mono Int16 (what G.711 carries).
 *
 * Accepts PCM 8 (unsigned) / 16 / 24 / 32-bit, IEEE float 32/64, A-law (tag 6), μ-law (tag 7), the
 * same inside WAVE_FORMAT_EXTENSIBLE, RF64, any sample rate, any channel count (downmixed by
 * averaging), unknown chunks (LIST, fact, cue, ...) with their RIFF pad byte after odd sizes, and
 * "streamed" files whose data size is 0 or 0xFFFFFFFF (the data runs to the end of the file).
 * Everything wrong raises WavFormatError with one sentence, so a script fails before dialing.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { alawDecodeSample, ulawDecodeSample } from '../g711.js';
import { resample } from '../resample.js';
import {
  EXTENSIBLE_GUID_TAIL,
  formatName,
  hex4,
  WAVE_FORMAT_ALAW,
  WAVE_FORMAT_EXTENSIBLE,
  WAVE_FORMAT_IEEE_FLOAT,
  WAVE_FORMAT_MULAW,
  WAVE_FORMAT_PCM,
  WavFormatError,
} from './format.js';

export interface WavInfo {
  /** The effective format tag (the sub-format for WAVE_FORMAT_EXTENSIBLE). */
  format: number;
  formatName: string;
  extensible: boolean;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  /** Byte offset and length of the sample data inside the file. */
  dataOffset: number;
  dataLength: number;
  /** Sample frames (one sample per channel each). */
  frames: number;
  durationMs: number;
  /** True when the data size was a placeholder (0 / 0xFFFFFFFF) or ran past the end of the file. */
  streamed: boolean;
}

export interface PlaybackAudio {
  /** 8 kHz mono. */
  samples: Int16Array;
  sampleRate: 8000;
  durationMs: number;
  source: WavInfo;
}

const ID = (buf: Buffer, at: number): string => buf.toString('latin1', at, at + 4);
const looksLikeChunkId = (buf: Buffer, at: number): boolean =>
  at + 8 <= buf.length && /^[\x20-\x7e]{4}$/.test(ID(buf, at));

/** Parses the RIFF structure and the fmt chunk; does not touch the samples. */
export function readWavInfo(buf: Buffer, path?: string): WavInfo {
  const fail = (reason: string): never => {
    throw new WavFormatError(reason, path);
  };
  if (buf.length < 12) fail('not a RIFF/WAVE file');
  const riff = ID(buf, 0);
  if (riff === 'RIFX') fail('big-endian RIFX files are not supported');
  if ((riff !== 'RIFF' && riff !== 'RF64') || ID(buf, 8) !== 'WAVE') fail('not a RIFF/WAVE file');

  let fmt: Buffer | undefined;
  let dataOffset = -1;
  let dataSize = 0;
  let ds64DataSize: number | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = ID(buf, at);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'ds64' && size >= 16) {
      // RF64 (EBU Tech 3306): the real 64-bit data size; files past 2^53 bytes do not exist here.
      ds64DataSize = buf.readUInt32LE(body + 8) + buf.readUInt32LE(body + 12) * 2 ** 32;
    } else if (id === 'fmt ') {
      fmt = buf.subarray(body, Math.min(buf.length, body + size));
    } else if (id === 'data') {
      dataOffset = body;
      dataSize = size;
      break; // everything we need is known; chunks after data (LIST, id3) are irrelevant
    }
    // RIFF chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    at = body + size + (size & 1);
  }
  if (fmt === undefined) fail('no fmt chunk before the audio data');
  const f = fmt as Buffer;
  if (f.length < 16) fail(`fmt chunk is too short (${f.length} bytes)`);
  if (dataOffset < 0) fail('no data chunk');

  let format = f.readUInt16LE(0);
  const channels = f.readUInt16LE(2);
  const sampleRate = f.readUInt32LE(4);
  const blockAlign = f.readUInt16LE(12);
  const bitsPerSample = f.readUInt16LE(14);
  const extensible = format === WAVE_FORMAT_EXTENSIBLE;
  if (extensible) {
    if (f.length < 40) fail(`WAVE_FORMAT_EXTENSIBLE fmt chunk is too short (${f.length} bytes)`);
    const validBits = f.readUInt16LE(18);
    if (!f.subarray(26, 40).equals(EXTENSIBLE_GUID_TAIL)) {
      fail(`unsupported WAVE_FORMAT_EXTENSIBLE sub-format ${f.subarray(24, 40).toString('hex')}`);
    }
    format = f.readUInt16LE(24);
    // validBits only says how many of the container's bits carry signal; we decode the container.
    if (validBits > bitsPerSample) fail(`valid bits (${validBits}) exceed the container size (${bitsPerSample})`);
  }
  if (channels === 0) fail('the file declares 0 channels');
  if (sampleRate === 0) fail('the file declares a sample rate of 0');

  switch (format) {
    case WAVE_FORMAT_PCM:
      if (![8, 16, 24, 32].includes(bitsPerSample)) fail(`unsupported PCM sample size (${bitsPerSample} bits)`);
      break;
    case WAVE_FORMAT_IEEE_FLOAT:
      if (bitsPerSample !== 32 && bitsPerSample !== 64) fail(`unsupported float sample size (${bitsPerSample} bits)`);
      break;
    case WAVE_FORMAT_ALAW:
    case WAVE_FORMAT_MULAW:
      if (bitsPerSample !== 8) fail(`unsupported ${formatName(format)} sample size (${bitsPerSample} bits)`);
      break;
    default:
      fail(`unsupported format ${hex4(format)} (${formatName(format)})`);
  }
  const expectedAlign = channels * (bitsPerSample / 8);
  if (blockAlign !== expectedAlign) {
    fail(`block align ${blockAlign} does not match ${channels} channel(s) of ${bitsPerSample} bits`);
  }

  const remaining = buf.length - dataOffset;
  let length = ds64DataSize !== undefined && dataSize === 0xffffffff ? ds64DataSize : dataSize;
  let streamed = false;
  // A writer that streams to a pipe cannot seek back: it leaves 0 or 0xFFFFFFFF. Zero is only a
  // placeholder if audio (not another chunk) follows.
  if (length === 0xffffffff || (length === 0 && remaining > 0 && !looksLikeChunkId(buf, dataOffset)) || length > remaining) {
    length = remaining;
    streamed = true;
  }
  length -= length % blockAlign;
  const frames = length / blockAlign;
  return {
    format,
    formatName: formatName(format),
    extensible,
    channels,
    sampleRate,
    bitsPerSample,
    blockAlign,
    dataOffset,
    dataLength: length,
    frames,
    durationMs: (frames * 1000) / sampleRate,
    streamed,
  };
}

/** Decodes the samples, averaging all channels, at the file's own rate, in Int16 scale (±32768). */
export function decodeMono(buf: Buffer, info: WavInfo): Float32Array {
  const { channels, frames, dataOffset, blockAlign, format, bitsPerSample } = info;
  const out = new Float32Array(frames);
  const bytes = bitsPerSample / 8;
  const sample = sampleReader(format, bitsPerSample);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    const base = dataOffset + i * blockAlign;
    for (let c = 0; c < channels; c++) sum += sample(buf, base + c * bytes);
    out[i] = sum / channels;
  }
  return out;
}

function sampleReader(format: number, bits: number): (buf: Buffer, at: number) => number {
  if (format === WAVE_FORMAT_MULAW) return (b, at) => ulawDecodeSample(b[at]!);
  if (format === WAVE_FORMAT_ALAW) return (b, at) => alawDecodeSample(b[at]!);
  if (format === WAVE_FORMAT_IEEE_FLOAT) {
    return bits === 32 ? (b, at) => b.readFloatLE(at) * 32768 : (b, at) => b.readDoubleLE(at) * 32768;
  }
  switch (bits) {
    case 8:
      return (b, at) => (b[at]! - 128) * 256; // 8-bit WAV PCM is unsigned
    case 16:
      return (b, at) => b.readInt16LE(at);
    case 24:
      return (b, at) => b.readIntLE(at, 3) / 256;
    default:
      return (b, at) => b.readInt32LE(at) / 65536;
  }
}

/** A whole WAV file in memory -> 8 kHz mono Int16. */
export function decodeWavForPlayback(buf: Buffer, path?: string): PlaybackAudio {
  const info = readWavInfo(buf, path);
  if (info.frames === 0) throw new WavFormatError('the file contains no audio samples', path);
  const mono = decodeMono(buf, info);
  const samples = resample(mono, info.sampleRate, 8000);
  return { samples, sampleRate: 8000, durationMs: (samples.length * 1000) / 8000, source: info };
}

function readFailure(path: string, err: unknown): WavFormatError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : (e.message ?? String(err));
  return new WavFormatError(`cannot read the file (${why})`, path, 'WAV_UNREADABLE');
}

/** Loads a prompt for playback; call it before the call starts so a bad file fails early. */
export async function loadWavForPlayback(path: string): Promise<PlaybackAudio> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  return decodeWavForPlayback(buf, path);
}

export function loadWavForPlaybackSync(path: string): PlaybackAudio {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  return decodeWavForPlayback(buf, path);
}
