import { describe, expect, it } from 'vitest';
import { formatDeviceTable } from '../../../src/cli/device-table.js';

describe('formatDeviceTable', () => {
  it('aligns the columns and marks the defaults', () => {
    expect(formatDeviceTable([
      { index: 0, name: 'pulse', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, isDefaultInput: true, isDefaultOutput: true },
      { index: 12, name: 'USB Headset: Audio (hw:1,0)', hostApi: 'ALSA', maxInputChannels: 1, maxOutputChannels: 2, defaultSampleRate: 48000, isDefaultInput: false, isDefaultOutput: false },
    ])).toBe([
      ' #  Name                         Host API  In  Out   Rate  Default',
      '──  ───────────────────────────  ────────  ──  ───  ─────  ─────────────',
      ' 0  pulse                        ALSA      32   32  44100  input, output',
      '12  USB Headset: Audio (hw:1,0)  ALSA       1    2  48000',
      '',
    ].join('\n'));
  });

  it('says so when there is no device', () => {
    expect(formatDeviceTable([])).toBe('No sound devices found.\n');
  });
});
