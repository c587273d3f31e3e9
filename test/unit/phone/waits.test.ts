import { describe, expect, it } from 'vitest';
import { CallListener } from '../../../src/phone/waits.js';
import { CallEndedError, DtmfMismatchError, PromptMismatchError, WaitTimeoutError } from '../../../src/phone/wait-types.js';
import { FakeSource, concat, flush, prompt, tone } from './waits-fake-source.js';

function setup(): { src: FakeSource; l: CallListener } {
  const src = new FakeSource();
  return { src, l: new CallListener(src, src.clock) };
}

async function outcome<T>(p: Promise<T>): Promise<T | Error> {
  return p.then((v) => v, (e: Error) => e);
}

describe('CallListener waits', () => {
  it('waitForSpeech resolves at the onset of a prompt, timed from the wait', async () => {
    const { src, l } = setup();
    src.silence(400);
    const p = l.waitForSpeech({ timeout: 5000 });
    src.feed(prompt('enter-pin.wav'));
    const r = await p;
    // enter-pin.wav has 300 ms of lead-in silence.
    expect(r.atMs).toBeGreaterThanOrEqual(400 + 240);
    expect(r.atMs).toBeLessThanOrEqual(400 + 360);
    expect(r.detail).toMatch(/^speech after 0\.\d+ s$/);
  });

  it('waitForSpeech times out saying silence was heard, or no RTP at all', async () => {
    const { src, l } = setup();
    const p = outcome(l.waitForSpeech({ timeout: 2000 }));
    src.silence(2100);
    const e = await p;
    expect(e).toBeInstanceOf(WaitTimeoutError);
    expect((e as Error).message).toBe('timed out after 2 s waiting for speech: heard silence for 2.0 s');

    const b = setup();
    b.src.rtp = false;
    const q = outcome(b.l.waitForSpeech({ timeout: 5000 }));
    b.src.silence(5000);
    expect(((await q) as Error).message).toBe('timed out after 5 s waiting for speech: heard nothing at all (no RTP)');
  });

  it('waitForSilence waits for the prompt to end plus the minimum, never before the wait', async () => {
    const { src, l } = setup();
    src.silence(3000);
    const p = l.waitForSilence({ duration: 1500, timeout: 20_000 });
    let done = false;
    void p.then(() => { done = true; });
    src.silence(1000);
    await flush();
    expect(done).toBe(false); // 3 s of silence before the wait do not count
    const pin = prompt('enter-pin.wav');
    src.feed(pin);
    src.silence(2000);
    const r = await p;
    expect(r.detail).toMatch(/^silence after \d+\.\d+ s of speech$/);
    expect(r.atMs).toBeGreaterThan(4000 + 3000);
  });

  it('waitForSilence that never comes times out with "heard speech for N s"', async () => {
    const { src, l } = setup();
    const p = outcome(l.waitForSilence({ duration: 1500, timeout: 5000 }));
    // Talk without a pause of 1.5 s: two prompts' speech back to back (no lead-in or trailing silence).
    src.feed(concat(prompt('auto-attendant.wav').subarray(300 * 8, 7330 * 8), prompt('main-menu.wav').subarray(300 * 8, 4948 * 8)).subarray(0, 6000 * 8));
    const e = await p;
    expect((e as Error).message).toMatch(/^timed out after 5 s waiting for 1\.5 s of silence: heard speech for [45]\.\d s in \d stretches$/);
  });

  it('waitForTone hears the 1 kHz beep after a greeting and names the frequency', async () => {
    const { src, l } = setup();
    const p = l.waitForTone({ frequencies: [1000], timeout: 20_000 });
    const g = prompt('greeting-613.wav');
    src.feed(concat(g, tone(1000, 500)));
    const r = await p;
    expect(r.frequency).toBe(1000);
    expect(Math.abs(r.atMs - g.length / 8)).toBeLessThanOrEqual(40);
  });

  it('waitForTone counts a beep that began just before the wait', async () => {
    const { src, l } = setup();
    src.feed(tone(1000, 200));
    const p = l.waitForTone({ frequencies: [1000], timeout: 2000 });
    src.feed(tone(1000, 40));
    expect((await p).detail).toBe('1000 Hz tone going on');
  });

  it('waitForPrompt judges the last words when the far end hangs up right after them', async () => {
    const { src, l } = setup();
    const p = l.waitForPrompt(prompt('goodbye.wav'), { name: 'goodbye.wav', timeout: 10_000 });
    src.feed(prompt('goodbye.wav').subarray(0, 8 * 1000));
    src.hangUp();
    expect((await p).score).toBeGreaterThanOrEqual(0.5);
  });

  it('waitForTone times out saying which other tone was heard', async () => {
    const { src, l } = setup();
    const p = outcome(l.waitForTone({ frequencies: [1400], timeout: 2000 }));
    src.feed(concat(tone(1000, 600), new Int16Array(1500 * 8)));
    const e = await p;
    expect((e as Error).message).toBe('timed out after 2 s waiting for a 1400 Hz tone: heard a 1000 Hz tone, then silence for 1.4 s');
  });

  it('waitForDigits: buffered digits, exact match, a wrong digit fails at once', async () => {
    const { src, l } = setup();
    src.digit('1');
    const r = await l.waitForDigits({ digits: '1', exact: true });
    expect(r.digits).toBe('1');
    expect(r.detail).toBe('DTMF 1 (RFC 4733)');
    const p = outcome(l.waitForDigits({ digits: '12', exact: true, timeout: 3000 }));
    src.digit('1', 'inband');
    src.silence(100);
    src.digit('5', 'inband');
    const e = await p;
    expect(e).toBeInstanceOf(DtmfMismatchError);
    expect((e as Error).message).toBe('expected DTMF "12" but received "15"');
    // Not exact: skip digits until the sequence comes.
    const q = l.waitForDigits({ digits: '#', timeout: 3000 });
    src.digit('9');
    src.digit('#', 'info');
    expect((await q).detail).toBe('DTMF # (INFO)');
  });

  it('waitForDigits times out naming the silence heard', async () => {
    const { src, l } = setup();
    const p = outcome(l.waitForDigits({ digits: '1', timeout: 1000 }));
    src.silence(1000);
    expect(((await p) as Error).message).toBe('timed out after 1 s waiting for DTMF "1": heard silence for 1.0 s');
  });

  it('waitForEnd resolves on the far end\'s BYE; other waits fail with the end', async () => {
    const { src, l } = setup();
    const s = outcome(l.waitForSpeech({ timeout: 10_000 }));
    const p = l.waitForEnd({ timeout: 10_000 });
    src.silence(500);
    src.hangUp();
    const r = await p;
    expect(r.reason).toBe('remote (BYE)');
    const e = await s;
    expect(e).toBeInstanceOf(CallEndedError);
    expect((e as Error).message).toBe('the call ended (remote (BYE)) while waiting for speech: heard silence for 0.5 s');
    // A wait begun after the end fails at once.
    expect(await outcome(l.waitForSilence())).toBeInstanceOf(CallEndedError);
  });

  it('waitForEnd times out when the far end does not hang up', async () => {
    const { src, l } = setup();
    const p = outcome(l.waitForEnd({ timeout: 1000 }));
    src.silence(1000);
    expect(((await p) as Error).message).toBe('timed out after 1 s waiting for the call to end: heard silence for 1.0 s');
  });
});

describe('CallListener record', () => {
  it('until silence: stops 1.5 s after the greeting ends', async () => {
    const { src, l } = setup();
    const g = prompt('greeting-613.wav');
    const p = l.record('/tmp/x.wav', { until: 'silence', maxDuration: 30_000 });
    src.feed(g);
    src.silence(3000);
    const r = await p;
    expect(r.stoppedBy).toBe('silence');
    // greeting speech ends at 6227 ms; + 1.5 s of silence
    expect(r.durationMs).toBeGreaterThanOrEqual(6227 + 1500 - 60);
    expect(r.durationMs).toBeLessThanOrEqual(6227 + 1500 + 100);
    expect(src.recorded[0]!.stopped).toBe(true);
  });

  it('until tone, until dtmf, until the end, and the maximum', async () => {
    const a = setup();
    const pa = a.l.record('/tmp/a.wav', { until: 'tone', maxDuration: 30_000 });
    a.src.feed(concat(prompt('greeting-613.wav'), tone(1000, 400)));
    expect((await pa).stoppedBy).toBe('tone');

    const b = setup();
    const pb = b.l.record('/tmp/b.wav', { until: 'dtmf', digits: '#' });
    b.src.silence(200);
    b.src.digit('1');
    b.src.silence(200);
    b.src.digit('#');
    b.src.silence(20);
    const rb = await pb;
    expect(rb.stoppedBy).toBe('dtmf');
    expect(rb.detail).toMatch(/ended by DTMF #$/);

    const c = setup();
    const pc = c.l.record('/tmp/c.wav', { until: 'hangup' });
    c.src.silence(300);
    c.src.hangUp();
    expect((await pc).stoppedBy).toBe('hangup');

    const d = setup();
    const pd = d.l.record('/tmp/d.wav', { until: 'silence', maxDuration: 1000 });
    d.src.silence(1200);
    const rd = await pd;
    expect(rd.stoppedBy).toBe('max'); // silence without speech first does not end "until silence"
    expect(rd.durationMs).toBe(1000);
  });
});

describe('CallListener prompts', () => {
  it('expectPrompt passes on the same prompt and fails on another with the score', async () => {
    const { src, l } = setup();
    const p = l.expectPrompt(prompt('enter-pin.wav'), { name: 'enter-pin.wav' });
    src.feed(prompt('enter-pin.wav'));
    src.silence(2000);
    const r = await p;
    expect(r.score).toBeGreaterThanOrEqual(0.5);
    expect(r.detail).toMatch(/^enter-pin\.wav heard \(score [01]\.\d\d\)$/);

    const q = outcome(l.expectPrompt(prompt('enter-pin.wav'), { name: 'enter-pin.wav' }));
    src.feed(prompt('enter-extension.wav'));
    src.silence(2000);
    const e = await q;
    expect(e).toBeInstanceOf(PromptMismatchError);
    expect((e as Error).message).toMatch(/^heard another prompt \(\d+\.\d s of audio\) instead of enter-pin\.wav \(score 0\.\d\d < 0\.5\)$/);
  });

  it('expectPrompt captures a prompt that began before the step', async () => {
    const { src, l } = setup();
    const pin = prompt('enter-pin.wav');
    src.feed(pin.subarray(0, 8 * 1000)); // the prompt is 0.7 s into its speech
    const p = l.expectPrompt(pin, { name: 'enter-pin.wav' });
    src.feed(pin.subarray(8 * 1000));
    src.silence(2000);
    expect((await p).score).toBeGreaterThanOrEqual(0.5);
  });

  it('waitForPrompt skips other prompts until the one asked for', async () => {
    const { src, l } = setup();
    const p = l.waitForPrompt(prompt('main-menu.wav'), { name: 'main-menu.wav', timeout: 30_000 });
    src.feed(concat(prompt('welcome.wav'), prompt('new-messages-2.wav'), prompt('main-menu.wav')));
    src.silence(1500);
    const r = await p;
    const before = (prompt('welcome.wav').length + prompt('new-messages-2.wav').length) / 8;
    expect(Math.abs(r.startMs - (before + 300))).toBeLessThan(300);

    const q = outcome(l.waitForPrompt(prompt('goodbye.wav'), { name: 'goodbye.wav', timeout: 8000 }));
    src.feed(concat(prompt('enter-pin.wav'), new Int16Array(8 * 5000)));
    const e = await q;
    expect((e as Error).message).toMatch(/^timed out after 8 s waiting for goodbye\.wav: heard speech for 3\.\d s, then silence for \d\.\d s/);
  });
});
