/**
 * What every reader of a script shares: the file, the line counter, the current variables and the
 * WAVs loaded so far, plus the readers of single values. Values with a meaning beyond scripts (codec
 * names, DTMF modes, call targets, durations) go through the parsers the command line and the UM menus
 * use too; their typed errors become a ScriptError at the node's line.
 *
 * parse.ts (the header) and parse-steps.ts (the steps) both import this file and not each other.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isScalar, type LineCounter, type Node, type Pair } from 'yaml';
import { loadWavForPlaybackSync, type PlaybackAudio } from '../media/wav/reader.js';
import { parseDtmfMode, type DtmfModeRequest } from '../media/dtmf/index.js';
import { CallAddressError, parseTarget } from '../phone/call-headers.js';
import { parseCodecList, type AudioCodecName, type SdesSuiteName } from '../sdp/index.js';
import { parseSrtpMode, parseSrtpSuites, type SrtpMode } from '../phone/call-srtp.js';
import { parseDuration } from '../util/duration.js';
import { SpellingError } from '../util/errors.js';
import { ScriptError } from './errors.js';
import { substitute, UnknownVariableError, type Vars } from './vars.js';

export class ScriptContext {
  vars: Vars = {};
  constructor(
    readonly file: string,
    readonly lines: LineCounter,
    readonly env: Readonly<Record<string, string | undefined>>,
    private readonly audio: Map<string, PlaybackAudio> = new Map(),
  ) {}

  lineOf(node: Node | Pair | null | undefined): number {
    const n = node && 'range' in node ? node : (node as Pair | undefined)?.key as Node | undefined;
    const at = n?.range?.[0];
    return at === undefined ? 1 : this.lines.linePos(at).line;
  }

  fail(node: Node | Pair | null | undefined, reason: string): never {
    throw new ScriptError(this.file, this.lineOf(node), reason);
  }

  /** A scalar as a string, variables substituted. */
  str(node: unknown, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') this.fail(node as Node, `${what} must be a text or a number`);
    try {
      return substitute(String(node.value), this.vars, this.env);
    } catch (e) {
      if (e instanceof UnknownVariableError) this.fail(node, e.message);
      throw e;
    }
  }

  /** A path to an input file: relative to the script's folder, else to the working directory. */
  inputPath(node: unknown, what: string): string {
    const p = this.str(node, what);
    if (isAbsolute(p)) return p;
    const near = resolve(dirname(this.file), p);
    return existsSync(near) || !existsSync(resolve(p)) ? near : resolve(p);
  }

  /** A WAV to play or to compare with, loaded once (8 kHz mono). */
  wav(node: unknown, what: string): { file: string; audio: Int16Array; playback: PlaybackAudio } {
    const file = this.inputPath(node, what);
    let playback = this.audio.get(file);
    if (!playback) {
      try {
        playback = loadWavForPlaybackSync(file);
      } catch (e) {
        this.fail(node as Node, `${what} ${this.str(node, what)}: ${(e as Error).message}`);
      }
      this.audio.set(file, playback);
    }
    return { file, audio: playback.samples, playback };
  }

  /** "5s", "1m30s", "500ms": a bare number is refused (seconds or ms?). */
  duration(node: unknown, what: string): number {
    return this.parsed(node, what, () => parseDuration(this.str(node, what)));
  }

  /** auto, rfc4733 (rfc2833), inband, info (sipinfo). */
  dtmfMode(node: unknown, what: string): DtmfModeRequest {
    return this.parsed(node, what, () => parseDtmfMode(this.str(node, what)));
  }

  /** off, optional, mandatory (any case). */
  srtpMode(node: unknown, what: string): SrtpMode {
    return this.parsed(node, what, () => parseSrtpMode(this.str(node, what)));
  }

  /** SRTP suite names, "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32" (any case). */
  srtpSuites(node: unknown, text: string, what: string): SdesSuiteName[] {
    return this.parsed(node, what, () => parseSrtpSuites(text));
  }

  /** A list or a "pcmu, pcma" text; repeats dropped. */
  codecs(node: unknown, texts: string[], what: string): AudioCodecName[] {
    return this.parsed(node, what, () => parseCodecList(texts));
  }

  /** A call target as the phone will dial it (sip:, sips: or shorthand), checked now; returned as written. */
  target(node: unknown, what: string): string {
    const text = this.str(node, what);
    this.parsed(node, what, () => parseTarget(text));
    return text;
  }

  bool(node: unknown, what: string): boolean {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    const s = this.str(node, what).toLowerCase();
    if (['true', 'yes', 'on'].includes(s)) return true;
    if (['false', 'no', 'off'].includes(s)) return false;
    this.fail(node as Node, `${what} must be true or false`);
  }

  count(node: unknown, what: string): number {
    const n = Number(this.str(node, what));
    if (!Number.isInteger(n) || n < 0) this.fail(node as Node, `${what} must be a whole number`);
    return n;
  }

  /** Run a shared parser; its typed error becomes a ScriptError at this node. */
  private parsed<T>(node: unknown, what: string, parse: () => T): T {
    try {
      return parse();
    } catch (e) {
      if (e instanceof SpellingError || e instanceof CallAddressError) this.fail(node as Node, `${what.replace(/:$/, '')}: ${e.message}`);
      throw e;
    }
  }
}
