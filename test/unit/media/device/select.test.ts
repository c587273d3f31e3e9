import { describe, expect, it } from 'vitest';
import type { AudioDeviceInfo } from '../../../../src/media/device/device.js';
import { AudioDeviceNotFoundError } from '../../../../src/media/device/errors.js';
import { parseDeviceSelector, selectDevice } from '../../../../src/media/device/select.js';

function dev(index: number, name: string, ins: number, outs: number, defIn = false, defOut = false): AudioDeviceInfo {
  return {
    index,
    name,
    hostApi: 'ALSA',
    maxInputChannels: ins,
    maxOutputChannels: outs,
    defaultSampleRate: 48000,
    isDefaultInput: defIn,
    isDefaultOutput: defOut,
  };
}

const devices = [
  dev(0, 'HDA Intel PCH: ALC257 Analog (hw:0,0)', 2, 2),
  dev(1, 'HDMI 0 (hw:0,3)', 0, 8),
  dev(2, 'Jabra Evolve 65: USB Audio (hw:1,0)', 1, 2),
  dev(3, 'pulse', 32, 32),
  dev(4, 'default', 32, 32, true, true),
  dev(5, 'USB Mic only', 1, 0),
];

describe('parseDeviceSelector', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['3', 3],
    [' 12 ', 12],
    [7, 7],
    ['usb', 'usb'],
    ['3a', '3a'],
  ] as const)('%j → %j', (input, expected) => {
    expect(parseDeviceSelector(input)).toEqual(expected);
  });
});

describe('selectDevice', () => {
  it.each([
    ['output', undefined, 4],
    ['input', undefined, 4],
    ['output', 1, 1],
    ['output', '1', 1],
    ['output', 'hdmi', 1],
    ['output', 'JABRA', 2],
    ['input', 'jabra', 2],
    ['input', 'usb', 2],
    ['output', 'usb', 2],
    ['input', 'mic only', 5],
    // An exact name beats a substring: "pulse" is a name, and no longer a substring match of another.
    ['output', 'PULSE', 3],
    ['output', 'default', 4],
  ] as const)('%s %j → device %d', (direction, selector, index) => {
    expect(selectDevice(devices, direction, selector).index).toBe(index);
  });

  it('prefers an exact name over an earlier substring match', () => {
    const list = [dev(0, 'USB Headset 2', 1, 2), dev(1, 'usb headset', 1, 2)];
    expect(selectDevice(list, 'output', 'USB Headset').index).toBe(1);
  });

  it('falls back to the first device of the direction when none is marked default', () => {
    const list = [dev(0, 'mic', 1, 0), dev(1, 'speaker', 0, 2)];
    expect(selectDevice(list, 'output', undefined).index).toBe(1);
    expect(selectDevice(list, 'input', undefined).index).toBe(0);
  });

  it('never picks a device without channels in the direction', () => {
    expect(() => selectDevice(devices, 'input', 'hdmi')).toThrow(AudioDeviceNotFoundError);
    expect(() => selectDevice(devices, 'input', 1)).toThrow(AudioDeviceNotFoundError);
    expect(() => selectDevice(devices, 'output', 5)).toThrow(AudioDeviceNotFoundError);
  });

  it('says what exists when nothing matches', () => {
    const list = [dev(0, 'pulse', 32, 32), dev(1, 'HDMI', 0, 2)];
    expect(() => selectDevice(list, 'input', 'jabra')).toThrow(
      'no input device matches "jabra" (input devices: 0 "pulse"); see `umphone devices`, or run with --no-audio',
    );
    expect(() => selectDevice(list, 'output', 9)).toThrow(
      'no output device matches index 9 (output devices: 0 "pulse", 1 "HDMI"); see `umphone devices`, or run with --no-audio',
    );
    expect(() => selectDevice([], 'output', undefined)).toThrow(
      'no output device matches "default" (output devices: none); see `umphone devices`, or run with --no-audio',
    );
  });
});
