import { describe, expect, it } from 'vitest';
import { keyActions } from '../../../src/cli/keys.js';

describe('keyActions', () => {
  it('turns every DTMF key into a digit, in order, none lost', () => {
    const typed = '0123456789*#ABCDabcd';
    expect(keyActions(typed)).toEqual([...'0123456789*#ABCDABCD'].map((digit) => ({ type: 'dtmf', digit })));
  });

  it.each([
    ['h', { type: 'hangup', key: 'h' }],
    ['H', { type: 'hangup', key: 'h' }],
    ['\u0003', { type: 'hangup', key: 'ctrl-c' }],
    ['\u0004', { type: 'hangup', key: 'ctrl-d' }],
    ['m', { type: 'mute' }],
    ['M', { type: 'mute' }],
    ['?', { type: 'help' }],
  ])('%j → %j', (key, action) => {
    expect(keyActions(key)).toEqual([action]);
  });

  it('ignores other keys, hook flash R included', () => {
    expect(keyActions('xyz rR!\r\n\t')).toEqual([]);
  });

  it('skips cursor and function keys whole, so their letters send no digit', () => {
    // Up (ESC [ A), Down in application mode (ESC O B), F5 (ESC [ 1 5 ~), Alt+d (ESC d), Delete (ESC [ 3 ~)
    expect(keyActions('1\u001b[A2\u001bOB3\u001b[15~4\u001bd5\u001b[3~6')).toEqual(
      [...'123456'].map((digit) => ({ type: 'dtmf', digit })),
    );
  });

  it('keeps order across kinds in one chunk', () => {
    expect(keyActions('1m#h')).toEqual([
      { type: 'dtmf', digit: '1' }, { type: 'mute' }, { type: 'dtmf', digit: '#' }, { type: 'hangup', key: 'h' },
    ]);
  });

  it('survives an escape at the very end of a chunk', () => {
    expect(keyActions('5\u001b')).toEqual([{ type: 'dtmf', digit: '5' }]);
    expect(keyActions('5\u001b[')).toEqual([{ type: 'dtmf', digit: '5' }]);
  });
});
