import { describe, expect, it } from 'vitest';
import { DTMF_MODE_SPELLINGS, DTMF_MODES, DtmfModeError, parseDtmfMode } from '../../../../src/media/dtmf/index.js';

describe('parseDtmfMode', () => {
  it.each([
    ['auto', 'auto'], ['AUTO', 'auto'],
    ['rfc4733', 'rfc4733'], ['RFC 4733', 'rfc4733'], ['rfc-4733', 'rfc4733'], ['rfc2833', 'rfc4733'], ['RFC2833', 'rfc4733'], ['rfc_2833', 'rfc4733'],
    ['inband', 'inband'], ['in-band', 'inband'], ['In Band', 'inband'],
    ['info', 'info'], ['INFO', 'info'], ['sipinfo', 'info'], ['sip-info', 'info'], ['SIP_INFO', 'info'], ['SIP INFO', 'info'],
  ])('%j → %s', (text, mode) => {
    expect(parseDtmfMode(text)).toBe(mode);
  });

  it('accepts every spelling it lists, the modes among them', () => {
    for (const s of DTMF_MODE_SPELLINGS) expect(DTMF_MODES).toContain(parseDtmfMode(s));
    expect(DTMF_MODE_SPELLINGS).toEqual(expect.arrayContaining([...DTMF_MODES, 'rfc2833', 'sipinfo']));
  });

  it.each(['sms', 'rfc4734', 'tones', '', 'outband'])('%j is a DtmfModeError carrying the accepted spellings', (text) => {
    expect(() => parseDtmfMode(text)).toThrow(new DtmfModeError(text));
    expect(() => parseDtmfMode(text)).toThrow(`unknown DTMF mode "${text}": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)`);
    try {
      parseDtmfMode(text);
    } catch (e) {
      expect((e as DtmfModeError).accepted).toEqual(DTMF_MODE_SPELLINGS);
      expect((e as DtmfModeError).code).toBe('DTMF_MODE');
    }
  });
});
