/**
 * The server's prompts: WAV files by name (`enter-pin` → `<prompts>/enter-pin.wav`), decoded once to
 * 8 kHz mono for playback; `beep` is the 1 kHz tone of `audio/beep-1000hz.wav`. All are checked when
 * the server starts, so a missing file is a startup error, not silence in the middle of a call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UmphoneError } from '../util/errors.js';
import { loadWavForPlaybackSync, type PlaybackAudio } from '../media/wav/reader.js';

export class PromptMissingError extends UmphoneError {
  constructor(readonly prompt: string, readonly path: string) {
    super(`prompt "${prompt}" has no WAV file: ${path} does not exist`, 'UM_PROMPT_MISSING');
  }
}

/** The umphone package folder (the one holding `audio/`), found upwards from this module. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'umphone') return dir;
      } catch {
        // not ours: keep climbing
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve('.');
    dir = up;
  }
}

export class PromptLibrary {
  private readonly cache = new Map<string, PlaybackAudio>();
  readonly folder: string;
  readonly beepPath: string;

  /** `folder` relative to the package root unless absolute. */
  constructor(folder: string, root: string = packageRoot()) {
    this.folder = isAbsolute(folder) ? folder : resolve(root, folder);
    this.beepPath = join(root, 'audio', 'beep-1000hz.wav');
  }

  pathOf(name: string): string {
    if (name === 'beep') return this.beepPath;
    return join(this.folder, `${name}.wav`);
  }

  /** Load every prompt now (throws PromptMissingError or WavFormatError). */
  preload(names: string[]): void {
    for (const n of [...names, 'beep']) this.get(n);
  }

  get(name: string): PlaybackAudio {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const path = this.pathOf(name);
    if (!existsSync(path)) throw new PromptMissingError(name, path);
    const audio = loadWavForPlaybackSync(path);
    this.cache.set(name, audio);
    return audio;
  }
}
