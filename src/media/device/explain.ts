/**
 * One line for each way the addon can be unusable: why, and what to install. Pure, so the messages are
 * pinned by unit tests with injected failures (the real ones need a machine without libasound2).
 */
import { SoundCardUnavailableError } from './errors.js';

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim();
}

/** One line that says why the addon did not load and what to install. */
export function explainLoadFailure(err: unknown): SoundCardUnavailableError {
  const why = firstLine(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (/libasound\.so/.test(why)) {
    return new SoundCardUnavailableError(
      `naudiodon could not be loaded (${why})`,
      'apt-get install libasound2 (and libasound2-plugins for PulseAudio)',
    );
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package) 'naudiodon'/.test(why)) {
    return new SoundCardUnavailableError(
      `naudiodon is not installed (${why})`,
      'npm install naudiodon (an optional dependency built with node-gyp; it needs g++ and make)',
    );
  }
  if (/naudiodon\.node|bindings|NODE_MODULE_VERSION|invalid ELF|undefined symbol/.test(why)) {
    return new SoundCardUnavailableError(
      `naudiodon's native addon could not be loaded (${why})`,
      'npm rebuild naudiodon',
    );
  }
  return new SoundCardUnavailableError(`naudiodon could not be loaded (${why})`, 'npm rebuild naudiodon');
}

/** The addon's own failures at list/open time that mean "no usable sound card". */
export function explainDeviceFailure(err: unknown): SoundCardUnavailableError | undefined {
  const why = firstLine(err);
  if (/No default device/.test(why)) {
    return new SoundCardUnavailableError(
      'PortAudio has no default device (No default device)',
      'plug in a sound card, or on a headless Linux install pulseaudio libasound2-plugins and start it',
    );
  }
  if (/Could not initialize PortAudio/.test(why)) {
    return new SoundCardUnavailableError(`PortAudio did not start (${why})`, 'check ALSA (aplay -l)');
  }
  return undefined;
}
