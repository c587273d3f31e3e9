import { describe, expect, it } from 'vitest';
import { buildDtmfInfo, dtmfEventFromInfo, isDtmfInfoContentType, parseDtmfInfo } from '../../../../src/media/dtmf/info.js';
import { DtmfInfoParseError } from '../../../../src/media/dtmf/errors.js';

describe('SIP INFO DTMF bodies', () => {
  it('builds application/dtmf-relay and application/dtmf bodies', () => {
    expect(buildDtmfInfo('5', 160)).toEqual({ contentType: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n' });
    expect(buildDtmfInfo('#', 250, 'dtmf')).toEqual({ contentType: 'application/dtmf', body: '#' });
    expect(buildDtmfInfo('R', 100).body).toBe('Signal=!\r\nDuration=100\r\n');
  });

  it.each([
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', { digit: '5', durationMs: 160 }],
    ['Application/DTMF-Relay; charset=utf-8', 'signal = *\nduration= 250\n', { digit: '*', durationMs: 250 }],
    ['application/dtmf-relay', 'Signal=11\r\nDuration=100\r\n', { digit: '#', durationMs: 100 }],
    ['application/dtmf-relay', 'Signal=!\r\nDuration=500\r\n', { digit: 'R', durationMs: 500 }],
    ['application/dtmf-relay', 'Signal=d\r\n', { digit: 'D' }],
    ['application/dtmf', '5', { digit: '5' }],
    ['application/dtmf', ' #\r\n', { digit: '#' }],
    ['application/dtmf', 'Signal=7\r\nDuration=100\r\n', { digit: '7', durationMs: 100 }],
  ])('parses %s %j', (ct, body, want) => {
    expect(parseDtmfInfo(ct, body)).toEqual(want);
    expect(parseDtmfInfo(ct, new TextEncoder().encode(body))).toEqual(want);
  });

  it('round-trips every key through both formats', () => {
    for (const k of [...'0123456789*#ABCDR'] as const) {
      const a = buildDtmfInfo(k as never, 120);
      expect(parseDtmfInfo(a.contentType, a.body)).toEqual({ digit: k, durationMs: 120 });
      const b = buildDtmfInfo(k as never, 120, 'dtmf');
      if (k !== 'R') expect(parseDtmfInfo(b.contentType, b.body)).toEqual({ digit: k });
    }
  });

  it.each([
    ['text/plain', 'Signal=5', 'Content type "text/plain" does not carry DTMF.'],
    ['application/dtmf-relay', 'Duration=160\r\n', 'DTMF INFO body has no Signal line.'],
    ['application/dtmf-relay', 'Signal=X\r\n', 'DTMF INFO Signal "X" is not a DTMF key.'],
    ['application/dtmf-relay', 'Signal=5\r\nDuration=abc\r\n', 'DTMF INFO Duration "abc" is not a whole number of milliseconds.'],
    ['application/dtmf', 'hello', 'application/dtmf body "hello" is not a DTMF key.'],
  ])('rejects %s %j with an exact sentence', (ct, body, msg) => {
    expect(() => parseDtmfInfo(ct, body)).toThrow(new DtmfInfoParseError(msg));
  });

  it('recognizes the content types and turns a parsed body into a typed event', () => {
    expect(isDtmfInfoContentType('application/dtmf-relay;x=1')).toBe(true);
    expect(isDtmfInfoContentType('application/sdp')).toBe(false);
    expect(dtmfEventFromInfo({ digit: '3', durationMs: 160 }, 5000)).toEqual({ digit: '3', method: 'info', startMs: 5000, durationMs: 160 });
  });
});
