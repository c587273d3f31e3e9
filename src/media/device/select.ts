/**
 * Which device --output-device / --input-device mean. Pure: takes the listed devices, returns one.
 *
 * - A number, or a string of digits, is PortAudio's device index (as `umphone devices` prints it).
 * - Any other string matches names case-insensitively: an exact name wins over a substring, and among
 *   substring matches the first listed device wins (so "usb" picks the first USB headset).
 * - Nothing selects the host's default device for that direction, or else the first device that has
 *   channels in that direction.
 * Only devices with channels in the wanted direction are candidates: "pulse" as --input-device never
 * picks an output-only device of the same name.
 */
import type { AudioDeviceInfo, AudioDeviceSelector } from './device.js';
import { AudioDeviceNotFoundError } from './errors.js';

export type AudioDirection = 'input' | 'output';

function channelsFor(d: AudioDeviceInfo, direction: AudioDirection): number {
  return direction === 'input' ? d.maxInputChannels : d.maxOutputChannels;
}

/** Parse a CLI value: "3" → 3, " 3 " → 3, "USB" → "USB", "" or undefined → undefined (the default). */
export function parseDeviceSelector(value: string | number | undefined): AudioDeviceSelector {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const v = value.trim();
  if (v === '') return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

export function selectDevice(
  devices: readonly AudioDeviceInfo[],
  direction: AudioDirection,
  selector: AudioDeviceSelector,
): AudioDeviceInfo {
  const candidates = devices.filter((d) => channelsFor(d, direction) > 0);
  const sel = typeof selector === 'string' ? parseDeviceSelector(selector) : selector;
  const notFound = (): AudioDeviceNotFoundError =>
    new AudioDeviceNotFoundError(
      direction,
      sel ?? 'default',
      candidates.map((d) => `${d.index} "${d.name}"`),
    );
  if (sel === undefined) {
    const byDefault = candidates.find((d) => (direction === 'input' ? d.isDefaultInput : d.isDefaultOutput));
    const chosen = byDefault ?? candidates[0];
    if (!chosen) throw notFound();
    return chosen;
  }
  if (typeof sel === 'number') {
    const chosen = candidates.find((d) => d.index === sel);
    if (!chosen) throw notFound();
    return chosen;
  }
  const wanted = sel.toLowerCase();
  const chosen =
    candidates.find((d) => d.name.toLowerCase() === wanted) ??
    candidates.find((d) => d.name.toLowerCase().includes(wanted));
  if (!chosen) throw notFound();
  return chosen;
}
