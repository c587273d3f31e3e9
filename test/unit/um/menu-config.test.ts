import { describe, expect, it } from 'vitest';
import { MenuConfigError, parseMenuConfig, promptsUsed } from '../../../src/um/menu-config.js';

describe('parseMenuConfig', () => {
  it('reads the built-in menus', () => {
    const c = parseMenuConfig();
    expect(c.pilot).toBe('6000');
    expect(c.mailboxes.get('613')).toEqual({ extension: '613', name: 'Extension 613', pin: '1234', greeting: 'greeting-613' });
    expect(c.timeouts.interDigitMs).toBe(5000);
    expect(c.maxRetries).toBe(3);
    expect(c.autoAttendant?.options.get('1')).toEqual({ digit: '1', transfer: '2001', name: 'sales' });
    expect(c.forwards.get('6099')).toBe('613');
    expect(promptsUsed(c)).toContain('auto-attendant');
  });

  it('takes YAML numbers where number strings are meant', () => {
    const c = parseMenuConfig('pilot: 7000\nmailboxes:\n  700: { pin: 42 }\n', 'm.yaml');
    expect(c.pilot).toBe('7000');
    expect(c.mailboxes.get('700')?.pin).toBe('42');
    expect(c.mailboxes.get('700')?.greeting).toBe('greeting-700');
  });

  // Durations and transfer targets go through util/duration and sip/message/uri-scheme, the parsers
  // the command line and scripts use.
  it('reads timeouts as durations, numbers being ms', () => {
    const c = parseMenuConfig('timeouts: { firstDigitMs: 4s, interDigitMs: "2500", silenceMs: 1m30s, maxMessageMs: 90000 }', 'm.yaml');
    expect(c.timeouts).toMatchObject({ firstDigitMs: 4000, interDigitMs: 2500, silenceMs: 90_000, maxMessageMs: 90_000 });
  });

  it('takes extensions and sip:/sips: URIs as transfer and forward targets', () => {
    const c = parseMenuConfig('forwards: { "6099": "SIP:613@pbx.example.com" }\nautoAttendant: { number: "6100", options: { "1": { transfer: "sips:2001@pbx" }, "2": { transfer: 2002 } } }', 'm.yaml');
    expect(c.forwards.get('6099')).toBe('SIP:613@pbx.example.com');
    expect(c.autoAttendant?.options.get('1')?.transfer).toBe('sips:2001@pbx');
    expect(c.autoAttendant?.options.get('2')?.transfer).toBe('2002');
  });

  it.each([
    ['pilot: [', /^m\.yaml is not valid YAML: /],
    ['colour: red', /^m\.yaml: unknown key "colour"$/],
    ['timeouts: { interDigitMs: -1 }', /^m\.yaml: timeouts\.interDigitMs must be a positive number of milliseconds$/],
    ['mailboxes: { "613": { pin: "12a" } }', /^m\.yaml: mailboxes\.613\.pin must be 1 to 16 digits$/],
    ['timeouts: { interDigitMs: 0 }', /^m\.yaml: timeouts\.interDigitMs must be a positive number of milliseconds$/],
    ['timeouts: { interDigitMs: [5] }', /^m\.yaml: timeouts\.interDigitMs must be a positive number of milliseconds$/],
    ['timeouts: { interDigitMs: 5 parsecs }', /^m\.yaml: timeouts\.interDigitMs: "5 parsecs" is not a duration \(write 5s, 1\.5s, 500ms or 2m\)$/],
    ['forwards: { "6099": "tel:+15551234" }', /^m\.yaml: forwards\.6099: umphone calls sip: or sips: URIs \(no gateway for tel:\)$/],
    ['autoAttendant: { number: "1", options: { "1": { transfer: "sip:2001@" } } }', /^m\.yaml: autoAttendant\.options\.1\.transfer: URI has no host$/],
    ['maxRetries: 0', /^m\.yaml: maxRetries must be a whole number of at least 1$/],
    ['autoAttendant: { number: "6000", options: {} }', /^m\.yaml: autoAttendant\.number must differ from the pilot number$/],
    ['autoAttendant: { number: "1", options: { "x": { transfer: "1" } } }', /^m\.yaml: autoAttendant option "x" is not a DTMF key$/],
  ])('%s → MenuConfigError', (text, message) => {
    expect(() => parseMenuConfig(text, 'm.yaml')).toThrow(MenuConfigError);
    expect(() => parseMenuConfig(text, 'm.yaml')).toThrow(message);
  });
});
