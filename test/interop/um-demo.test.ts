/**
 * `npm run demo` end to end: the built-in UM server on free loopback ports, the phone through the 302,
 * a message left in mailbox 613 by call answering and heard back by subscriber access. The files are
 * checked against their sources by cross-correlation (test/support/audio-compare.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../src/um/demo.js';
import { alignAndCorrelate, readWav } from '../support/audio-compare.js';

const dir = mkdtempSync(join(tmpdir(), 'um-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('umphone demo', () => {
  let result: DemoResult;
  const timeline: string[] = [];

  it('runs the whole flow through the 302 in well under a minute', async () => {
    try {
      result = await runDemo({ outDir: dir, print: (l) => timeline.push(l) });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${timeline.join('\n')}`);
    }
    expect(result.calls, timeline.join('\n')).toHaveLength(2);
    // Both calls went through the front's 302 to the worker.
    for (const c of result.calls) {
      expect(c.redirects.map((r) => r.status)).toEqual([302, 200]);
      expect(c.redirects[1]!.uri).toMatch(/;transport=Tcp;maddr=127\.0\.0\.1/);
    }
    expect(timeline.some((l) => /<- 302 Moved Temporarily/.test(l))).toBe(true);
    expect(result.elapsedMs).toBeLessThan(60_000);
  }, 90_000);

  it('the greeting recorded before the beep is greeting-613.wav (r ≥ 0.9)', () => {
    const ref = readWav('audio/prompts/greeting-613.wav').samples;
    const got = readWav(result.greetingPath).samples;
    const a = alignAndCorrelate(ref, got, { maxLagMs: 1500 });
    expect(a.correlation).toBeGreaterThanOrEqual(0.9);
  });

  it('the message stored in the mailbox folder is audio/message.wav (r ≥ 0.9)', () => {
    expect(result.messagePath).toBe(join(dir, 'um-data', 'mailboxes', '613', 'msg-0001.wav'));
    const ref = readWav('audio/message.wav').samples;
    const a = alignAndCorrelate(ref, readWav(result.messagePath).samples, { maxLagMs: 2000 });
    expect(a.correlation).toBeGreaterThanOrEqual(0.9);
  });

  it('the message heard back by subscriber access is audio/message.wav too', () => {
    const ref = readWav('audio/message.wav').samples;
    const a = alignAndCorrelate(ref, readWav(result.heardPath).samples, { maxLagMs: 2000 });
    expect(a.correlation).toBeGreaterThanOrEqual(0.9);
  });

  it('the server log shows both menu paths and the prompts were recognized', () => {
    const menu = result.serverLog.filter((e) => e.kind === 'call').map((e) => e.line).join('\n');
    expect(menu).toMatch(/menu path greeting > beep > recording > recorded > goodbye/);
    expect(menu).toMatch(/menu path enter-extension > enter-pin > message-count > main-menu > playing-message/);
    for (const p of ['enter-extension', 'enter-pin', 'new-messages-1']) expect(result.prompts[p]).toBeGreaterThanOrEqual(0.5);
  });
});
