import { describe, expect, it } from 'vitest';
import { formatTrace, formatTraceLine, traceStartLine } from '../../../../src/sip/transport/trace-format.js';
import type { TraceEvent } from '../../../../src/sip/transport/transport.js';

const event = (direction: 'in' | 'out', text: string): TraceEvent => ({
  direction,
  timestamp: Date.UTC(2026, 10, 25, 15, 30, 55, 859),
  protocol: 'udp',
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '192.0.2.7', port: 40000 },
  bytes: Buffer.from(text, 'latin1'),
});

describe('trace formatting', () => {
  const invite = 'INVITE sip:bob@x SIP/2.0\r\nCall-ID: a\r\nContent-Length: 5\r\n\r\nv=0\x00\n';

  it('prints a block with direction-ordered addresses, headers and a printable body', () => {
    expect(formatTrace(event('out', invite))).toBe(
      [
        '2026-11-25 15:30:55.859 UDP 127.0.0.1:5060 -> 192.0.2.7:40000 (64 bytes)',
        '  INVITE sip:bob@x SIP/2.0',
        '  Call-ID: a',
        '  Content-Length: 5',
        '',
        '  v=0.',
        '  ',
      ].join('\n'),
    );
    expect(formatTrace(event('in', invite)).split('\n')[0]).toBe('2026-11-25 15:30:55.859 UDP 192.0.2.7:40000 -> 127.0.0.1:5060 (64 bytes)');
  });

  it('prints ladder lines and names keep-alives', () => {
    expect(formatTraceLine(event('in', 'SIP/2.0 200 OK\r\n\r\n'))).toBe('15:30:55.859  <-- SIP/2.0 200 OK   192.0.2.7:40000 (UDP)');
    expect(traceStartLine(event('out', '\r\n\r\n'))).toBe('(keep-alive)');
  });
});
