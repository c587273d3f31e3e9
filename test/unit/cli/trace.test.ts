import { describe, expect, it } from 'vitest';
import { formatClockTime, formatTrace, messageLines } from '../../../src/cli/trace.js';
import type { TraceEvent } from '../../../src/sip/transport/transport.js';

// 2026-11-25 14:02:11.123 UTC
const T = Date.UTC(2026, 10, 25, 14, 2, 11, 123);

const invite = Buffer.from(
  'INVITE sip:680@10.0.0.5;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nv=0\n',
);

function ev(over: Partial<TraceEvent>): TraceEvent {
  return {
    direction: 'out', timestamp: T, protocol: 'tcp',
    local: { address: '127.0.0.1', port: 5070 }, remote: { address: '10.0.0.5', port: 5060 },
    bytes: invite, ...over,
  };
}

describe('formatTrace', () => {
  it('prints the time, the arrow, the transport and both addresses, then the message indented', () => {
    expect(formatTrace(ev({}), { utc: true })).toBe([
      `14:02:11.123 ──▶ TCP 127.0.0.1:5070 → 10.0.0.5:5060 (${invite.length} bytes)`,
      '    INVITE sip:680@10.0.0.5;transport=tcp SIP/2.0',
      '    Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1',
      '    Content-Length: 4',
      '',
      '    v=0',
      '',
      '',
    ].join('\n'));
  });

  it('shows a received message from the remote to us with the reverse arrow', () => {
    const text = formatTrace(ev({ direction: 'in', protocol: 'udp', bytes: Buffer.from('SIP/2.0 200 OK\r\n\r\n') }), { utc: true });
    expect(text.split('\n')[0]).toBe('14:02:11.123 ◀── UDP 10.0.0.5:5060 → 127.0.0.1:5070 (18 bytes)');
    expect(text.split('\n')[1]).toBe('    SIP/2.0 200 OK');
  });

  it('brackets IPv6 addresses and names a keep-alive', () => {
    const text = formatTrace(ev({ local: { address: '::1', port: 5070 }, remote: { address: '::1', port: 5060 }, bytes: Buffer.from('\r\n\r\n') }), { utc: true });
    expect(text).toBe('14:02:11.123 ──▶ TCP [::1]:5070 → [::1]:5060 (4 bytes, keep-alive)\n\n');
  });

  it('has no escape sequences without colour and some with it', () => {
    expect(formatTrace(ev({}), { utc: true })).not.toMatch(/\u001b/);
    const coloured = formatTrace(ev({}), { utc: true, color: true });
    expect(coloured).toMatch(/\u001b\[/);
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(formatTrace(ev({}), { utc: true }));
  });

  it.each([
    ['SIP/2.0 180 Ringing', '\u001b[2m'],
    ['SIP/2.0 200 OK', '\u001b[1m\u001b[32m'],
    ['SIP/2.0 302 Moved Temporarily', '\u001b[1m\u001b[33m'],
    ['SIP/2.0 486 Busy Here', '\u001b[1m\u001b[31m'],
    ['BYE sip:a@b SIP/2.0', '\u001b[1m\u001b[36m'],
  ])('colours the start line %s by its class', (line, colour) => {
    const text = formatTrace(ev({ bytes: Buffer.from(`${line}\r\n\r\n`) }), { utc: true, color: true });
    expect(text.split('\n')[1]).toBe(`    ${colour}${line}\u001b[0m`);
  });
});

describe('messageLines / formatClockTime', () => {
  it('splits on CRLF, LF and CR, escapes control characters, trims trailing blank lines', () => {
    expect(messageLines(Buffer.from('A\r\nB\nC\rD\u0001\r\n\r\n\r\n'))).toEqual(['A', 'B', 'C', 'D\\x01']);
  });

  it('pads hours, minutes, seconds and milliseconds', () => {
    expect(formatClockTime(Date.UTC(2026, 0, 1, 3, 4, 5, 6), true)).toBe('03:04:05.006');
  });
});
