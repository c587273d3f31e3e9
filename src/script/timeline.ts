/**
 * The console timeline of a run, one line per event, seconds since the iteration began:
 *
 *     0.0s  ▶ call sip:680@127.0.0.1:5060;transport=tcp (302 → 200)
 *     1.2s  ✓ wait_for speech (speech after 0.9 s)
 *     7.9s  ✗ expect prompt enter-pin.wav: heard another prompt (score 0.21 < 0.5)
 */
export type Mark = 'call' | 'pass' | 'fail' | 'skip' | 'info' | 'end';

const SYMBOL: Record<Mark, string> = { call: '▶', pass: '✓', fail: '✗', skip: '-', info: '·', end: '■' };

export function timelineLine(atMs: number, mark: Mark, text: string): string {
  const s = `${(atMs / 1000).toFixed(1)}s`;
  return `${s.padStart(7)}  ${SYMBOL[mark]} ${text}`;
}
