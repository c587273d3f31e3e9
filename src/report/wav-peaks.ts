/**
 * The waveform of a recording for the report: a WAV's bytes (our recordings are 16-bit PCM, mono, or
 * stereo with left = received and right = sent) reduced to a fixed number of columns per channel, each
 * the lowest and highest sample in its span scaled to -127..127. A page of a one-hour call carries the
 * same 2 × 1200 numbers as one of ten seconds. Pure: bytes in, numbers out.
 */

export interface Waveform {
  channels: number;
  sampleRate: number;
  durationMs: number;
  /** Per channel, per column: [min, max] in -127..127. */
  peaks: Array<Array<[number, number]>>;
}

export const WAVEFORM_COLUMNS = 1200;

/** Reads a PCM 16-bit WAV; undefined when it is not one (the page then shows no waveform). */
export function waveformOf(wav: Uint8Array, columns = WAVEFORM_COLUMNS): Waveform | undefined {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number): string => String.fromCharCode(wav[at]!, wav[at + 1]!, wav[at + 2]!, wav[at + 3]!);
  if (wav.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  let channels = 0;
  let rate = 0;
  let bits = 0;
  let format = 0;
  let dataAt = -1;
  let dataLen = 0;
  for (let at = 12; at + 8 <= wav.length;) {
    const id = tag(at);
    const len = view.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 24 <= wav.length) {
      format = view.getUint16(at + 8, true);
      channels = view.getUint16(at + 10, true);
      rate = view.getUint32(at + 12, true);
      bits = view.getUint16(at + 22, true);
    } else if (id === 'data') {
      dataAt = at + 8;
      // A recording cut short (the process died) may claim more than the file holds.
      dataLen = Math.min(len, wav.length - dataAt);
      break;
    }
    at += 8 + len + (len & 1);
  }
  // 1 = PCM, 0xFFFE = WAVE_FORMAT_EXTENSIBLE (PCM inside, for our purposes).
  if (dataAt < 0 || (format !== 1 && format !== 0xfffe) || bits !== 16 || channels < 1 || rate <= 0) return undefined;
  const frames = Math.floor(dataLen / (2 * channels));
  const cols = Math.max(1, Math.min(columns, frames));
  const peaks: Array<Array<[number, number]>> = [];
  for (let c = 0; c < channels; c++) {
    const out: Array<[number, number]> = [];
    for (let col = 0; col < cols; col++) {
      const from = Math.floor((col * frames) / cols);
      const to = Math.max(from + 1, Math.floor(((col + 1) * frames) / cols));
      let lo = 0;
      let hi = 0;
      for (let f = from; f < to && f < frames; f++) {
        const v = view.getInt16(dataAt + (f * channels + c) * 2, true);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      out.push([Math.round((lo / 32768) * 127), Math.round((hi / 32767) * 127)]);
    }
    peaks.push(frames === 0 ? [] : out);
  }
  return { channels, sampleRate: rate, durationMs: (frames / rate) * 1000, peaks };
}
