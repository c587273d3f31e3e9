/**
 * RIFF/WAVE vocabulary shared by the reader and the writer: format tags (Microsoft mmreg.h registry
 * values), the WAVE_FORMAT_EXTENSIBLE sub-format GUID layout, and the errors.
 */
import { UmphoneError } from '../../util/errors.js';

export const WAVE_FORMAT_PCM = 0x0001;
export const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
export const WAVE_FORMAT_ALAW = 0x0006;
export const WAVE_FORMAT_MULAW = 0x0007;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Names of format tags we do not decode, so the error says what the file actually is. */
const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0022: 'DSP Group TrueSpeech',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0042: 'G.723.1',
  0x0045: 'G.726 ADPCM',
  0x0050: 'MPEG',
  0x0055: 'MP3',
  0x0064: 'G.726 ADPCM',
  0x0065: 'G.722 ADPCM',
  0x0092: 'Dolby AC-3',
  0x00ff: 'AAC',
  0x0160: 'Windows Media Audio',
  0x0161: 'Windows Media Audio',
  0x1610: 'HE-AAC',
  0x6750: 'Ogg Vorbis',
  0xf1ac: 'FLAC',
};

export function formatName(tag: number): string {
  switch (tag) {
    case WAVE_FORMAT_PCM:
      return 'PCM';
    case WAVE_FORMAT_IEEE_FLOAT:
      return 'IEEE float';
    case WAVE_FORMAT_ALAW:
      return 'A-law';
    case WAVE_FORMAT_MULAW:
      return 'μ-law';
    case WAVE_FORMAT_EXTENSIBLE:
      return 'WAVE_FORMAT_EXTENSIBLE';
    default:
      return FORMAT_NAMES[tag] ?? 'unknown';
  }
}

/** "0x0055" */
export function hex4(tag: number): string {
  return '0x' + tag.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID that maps to a classic format tag
 * ({tag}-0000-0010-8000-00AA00389B71, stored little-endian), after the 2-byte tag.
 */
export const EXTENSIBLE_GUID_TAIL = Buffer.from([
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
]);

/** A file that is not a WAV we can play. Raised before any call starts. */
export class WavFormatError extends UmphoneError {
  constructor(
    /** The sentence without the path, e.g. "unsupported format 0x0055 (MP3)". */
    readonly reason: string,
    readonly path?: string,
    code = 'WAV_FORMAT',
  ) {
    super(path === undefined ? reason : `${path}: ${reason}`, code);
  }
}

/** A recording could not be written; reported to the owner, never thrown into the media path. */
export class WavWriteError extends UmphoneError {
  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`${path}: cannot write the recording (${cause instanceof Error ? cause.message : String(cause)})`, 'WAV_WRITE');
  }
}
