/**
 * Codec names as people write them (command line, scripts) → the SDP encoding name of a codec we speak.
 * The one parser for every front end. The RFC 3551 encoding names (PCMU, PCMA) and the names the
 * G.711 laws go by elsewhere (ulaw, µ-law written mulaw, G.711u; alaw, G.711a) are all accepted, in
 * any case and with or without ".", "-" or "_" ("G.711u", "mu-law", "A_law").
 */
import { SpellingError } from '../util/errors.js';
import type { AudioCodecName } from './types.js';

/** Each accepted spelling (normalized) and the codec it names, canonical name first. */
const SPELLINGS: ReadonlyArray<readonly [string, AudioCodecName]> = [
  ['pcmu', 'PCMU'], ['ulaw', 'PCMU'], ['mulaw', 'PCMU'], ['g711u', 'PCMU'],
  ['pcma', 'PCMA'], ['alaw', 'PCMA'], ['g711a', 'PCMA'],
];

/** Every spelling parseCodecName accepts, in lower case. */
export const CODEC_SPELLINGS: readonly string[] = SPELLINGS.map(([s]) => s);

const BY_SPELLING = new Map(SPELLINGS);

/** A codec name nobody here speaks, or an empty list; `accepted` lists every spelling. */
export class CodecNameError extends SpellingError {
  constructor(message: string, input: string) {
    super(message, 'CODEC_NAME', input, CODEC_SPELLINGS);
  }
}

const WE_SPEAK = 'umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)';

/** "ulaw" → 'PCMU'. Throws CodecNameError. */
export function parseCodecName(text: string): AudioCodecName {
  const codec = BY_SPELLING.get(text.trim().toLowerCase().replace(/[-_.]/g, ''));
  if (codec === undefined) throw new CodecNameError(`unsupported codec "${text.trim()}": ${WE_SPEAK}`, text);
  return codec;
}

/**
 * "pcmu, pcma" (commas or spaces) or a list → ['PCMU', 'PCMA'] in the order given (the offer's
 * preference order, RFC 3264 §5.1), repeats dropped. Throws CodecNameError, also for an empty list.
 */
export function parseCodecList(input: string | readonly string[]): AudioCodecName[] {
  const names = (typeof input === 'string' ? [input] : input).flatMap((s) => s.split(/[,\s]+/)).filter((s) => s !== '');
  if (names.length === 0) throw new CodecNameError(`no codec given: ${WE_SPEAK}`, typeof input === 'string' ? input : input.join(','));
  const out: AudioCodecName[] = [];
  for (const n of names) {
    const codec = parseCodecName(n);
    if (!out.includes(codec)) out.push(codec);
  }
  return out;
}
