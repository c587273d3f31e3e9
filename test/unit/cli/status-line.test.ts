import { describe, expect, it } from 'vitest';
import { formatElapsed, formatStatusLine } from '../../../src/cli/status-line.js';

describe('formatStatusLine', () => {
  it('shows state, elapsed time, digits both ways and RTP counters', () => {
    expect(formatStatusLine({
      state: 'answered', elapsedMs: 72_400, digitsSent: '123#', digitsReceived: '5',
      rtp: { sent: 3620, received: 3610, lost: 2 }, muted: false,
    }, 120)).toBe('[answered] 01:12 · sent: 123# · recv: 5 · RTP ↑3620 ↓3610 lost 2 · ? keys');
  });

  it('marks mute, shows dashes without digits and no RTP before media', () => {
    expect(formatStatusLine({ state: 'ringing', elapsedMs: 999, digitsSent: '', digitsReceived: '', muted: true }, 120))
      .toBe('[ringing] 00:00 · sent: - · recv: - · MUTED · ? keys');
  });

  it('keeps the latest digits of a long sequence', () => {
    const line = formatStatusLine({ state: 'answered', elapsedMs: 0, digitsSent: '12345678901234567890', digitsReceived: '', muted: false }, 120);
    // 16 columns: an ellipsis and the last 15 digits.
    expect(line).toContain('sent: …678901234567890 ·');
  });

  it('never reaches the last column of the terminal', () => {
    const line = formatStatusLine({
      state: 'answered', elapsedMs: 3_600_000, digitsSent: '1', digitsReceived: '2',
      rtp: { sent: 1, received: 2, lost: 0 }, muted: true,
    }, 40);
    expect(line).toHaveLength(39);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('formatElapsed', () => {
  it.each([[0, '00:00'], [59_999, '00:59'], [61_000, '01:01'], [3_661_000, '1:01:01'], [-5, '00:00']])('%i ms → %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
