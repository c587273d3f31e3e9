/**
 * Errors of the sound card. Each message is one line a person can act on: what failed, why, and what to
 * do (install a package, pick another device, or run with --no-audio).
 */
import { UmphoneError } from '../../util/errors.js';

/** The sound card cannot be used at all: the addon does not load, or PortAudio sees no device. */
export class SoundCardUnavailableError extends UmphoneError {
  constructor(readonly reason: string, readonly remedy: string) {
    super(`sound card unavailable: ${reason} — ${remedy}, or run with --no-audio`, 'SOUND_CARD_UNAVAILABLE');
  }
}

/** --output-device / --input-device names no device of the right direction. */
export class AudioDeviceNotFoundError extends UmphoneError {
  constructor(
    readonly direction: 'input' | 'output',
    readonly selector: string | number,
    readonly available: readonly string[],
  ) {
    const what = typeof selector === 'number' ? `index ${selector}` : `"${selector}"`;
    const list = available.length > 0 ? available.join(', ') : 'none';
    super(
      `no ${direction} device matches ${what} (${direction} devices: ${list}); see \`umphone devices\`, or run with --no-audio`,
      'AUDIO_DEVICE_NOT_FOUND',
    );
  }
}

/** PortAudio refused to open the chosen device (format, rate, busy device). */
export class AudioDeviceOpenError extends UmphoneError {
  constructor(readonly direction: 'input' | 'output', readonly deviceName: string, readonly reason: string) {
    super(`cannot open ${direction} device "${deviceName}": ${reason}`, 'AUDIO_DEVICE_OPEN');
  }
}

/**
 * A device that was working failed during the call (unplugged headset, sound server gone, a stream
 * that stopped moving). Reported once through onError; the device then behaves like the null device so
 * the call goes on without sound.
 */
export class AudioDeviceFailedError extends UmphoneError {
  constructor(readonly direction: 'input' | 'output', readonly deviceName: string, readonly reason: string) {
    super(
      `sound card ${direction} "${deviceName}" failed: ${reason}; the call goes on without sound`,
      'AUDIO_DEVICE_FAILED',
    );
  }
}
