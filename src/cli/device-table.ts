/**
 * The `umphone devices` table: PortAudio's devices with the index --output-device / --input-device
 * take, their host API, channels both ways, default rate, and which are the defaults. Pure.
 */
import type { AudioDeviceInfo } from '../media/device/device.js';

/** Rows padded to aligned columns (ends with a newline); "no sound devices" when the list is empty. */
export function formatDeviceTable(devices: readonly AudioDeviceInfo[]): string {
  if (devices.length === 0) return 'No sound devices found.\n';
  const header = ['#', 'Name', 'Host API', 'In', 'Out', 'Rate', 'Default'];
  const rows = devices.map((d) => [
    String(d.index),
    d.name,
    d.hostApi,
    String(d.maxInputChannels),
    String(d.maxOutputChannels),
    String(Math.round(d.defaultSampleRate)),
    [d.isDefaultInput ? 'input' : '', d.isDefaultOutput ? 'output' : ''].filter((x) => x !== '').join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numbers right-aligned, text left-aligned.
  const right = new Set([0, 3, 4, 5]);
  const line = (cells: string[]) => cells
    .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
  return `${[line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
}
