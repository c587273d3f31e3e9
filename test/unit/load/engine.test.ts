/**
 * The load scheduler on the memory network and the manual clock (phone-world.ts): callers are started
 * at the paced rate, never more than the concurrency at once, each with its CSV row; a rejected caller
 * fails alone with its reason; stop() (Ctrl-C) ends every call, answered (BYE) or ringing (CANCEL),
 * and still returns every caller. No sleeping: the clock is advanced by the test.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallerScripts } from '../../../src/load/caller.js';
import { LoadRun, type LoadOptions } from '../../../src/load/engine.js';
import { phoneWorld, type PhoneWorld } from '../../support/phone-world.js';

const root = resolve(__dirname, '../../..');

let w: PhoneWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const SCRIPT = `
name: pause-and-key
call: { target: "sip:\${ext}@192.0.2.2:5060;transport=tcp", from: "\${caller}" }
vars: { ext: "600" }
steps:
  - pause: 2s
  - dtmf: "\${pin}#"
  - hangup
`;

function load(world: PhoneWorld, o: Partial<LoadOptions>, text = SCRIPT, vars: Record<string, string> = { pin: '1' }): LoadRun {
  return new LoadRun({ phone: world.caller, clock: world.clock, scripts: CallerScripts.fromText(text, resolve(root, 'load.yaml'), { vars }), ...o });
}

describe('LoadRun on the memory network', () => {
  it('paces callers at the rate, holds the concurrency cap, and passes them all with their rows', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const world = w;
    const startTimes: number[] = [];
    let active = 0;
    let maxActive = 0;
    const seen: Array<{ uri: string; from: string; digits: string }> = [];
    world.listener.onCall((c) => {
      active++;
      maxActive = Math.max(maxActive, active);
      startTimes.push(world.clock.now());
      const row = { uri: c.requestUri, from: c.from, digits: '' };
      seen.push(row);
      c.onEvent((e) => { if (e.type === 'digit') row.digits += e.digit.digit; });
      void c.ended.then(() => { active--; });
    });
    const t0 = world.clock.now();
    const run = load(world, { calls: 8, rate: 2, concurrency: 3, rows: [{ ext: '601', pin: '11' }, { ext: '602', pin: '22' }] });
    const r = await world.settle(run.run(), 120_000);
    expect(r.stats).toMatchObject({ started: 8, passed: 8, failed: 0, answered: 8, asr: 100, interrupted: 0 });
    expect(r.callers.map((m) => m.outcome)).toEqual(Array(8).fill('passed'));
    expect(maxActive).toBe(3);
    // 2 calls/s: caller k is not started before (k-1)/2 s.
    startTimes.forEach((t, k) => expect(t - t0).toBeGreaterThanOrEqual((k * 1000) / 2));
    // Rows in order: odd callers 601/11, even 602/22; ${caller} in From.
    expect(seen.map((s) => `${/sip:(\d+)@/.exec(s.uri)![1]} ${s.digits}`)).toEqual(
      ['601 11#', '602 22#', '601 11#', '602 22#', '601 11#', '602 22#', '601 11#', '602 22#'],
    );
    expect(seen.map((s) => /sip:(\d+)@/.exec(s.from)![1]).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(r.callers.every((m) => m.setupMs !== undefined && m.postDialDelayMs !== undefined)).toBe(true);
    expect(r.stats.finalCodes).toEqual({ 200: 8 });
    // The call's quality model gives each answered caller a MOS (loss-free memory network: high).
    expect(r.stats.mos.count).toBe(8);
    expect(r.stats.mos.min).toBeGreaterThan(4);
  });

  it('ramps the rate up: fewer callers in the first seconds than at full rate', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const world = w;
    const t0 = world.clock.now();
    const starts: number[] = [];
    world.listener.onCall(() => starts.push(world.clock.now() - t0));
    const run = load(world, { durationMs: 4000, rate: 4, rampMs: 2000 }, SCRIPT.replace('pause: 2s', 'pause: 100ms'));
    const r = await world.settle(run.run(), 120_000);
    // Ramp 0 → 4/s over 2 s: 4 callers due in the ramp (plus the first at once), then 4/s for 2 s.
    const inRamp = starts.filter((t) => t < 2000).length;
    const after = starts.filter((t) => t >= 2000).length;
    expect(inRamp).toBe(4);
    expect(after).toBe(8);
    expect(r.stats.started).toBe(12);
    expect(r.stats.passed).toBe(12);
  });

  it('counts a rejected caller alone, with its SIP status as the reason', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const world = w;
    let n = 0;
    world.listener.onCall((c) => {
      if (++n % 2 === 0) c.reject({ status: 503, reason: "Service Unavailable" });
    });
    const r = await world.settle(load(world, { calls: 6, rate: 10 }).run(), 120_000);
    expect(r.stats).toMatchObject({ started: 6, passed: 3, failed: 3, setupFailed: 3, answered: 3, asr: 50, failedByReason: { 503: 3 } });
    expect(r.stats.finalCodes).toEqual({ 200: 3, 503: 3 });
    expect(r.stats.failedSteps).toEqual([{ step: 'call', reason: expect.stringContaining('503'), count: 3 }]);
  });

  it('stop() ends answered calls with BYE and ringing ones with CANCEL, and reports every caller', async () => {
    w = phoneWorld({ listener: {} });
    const world = w;
    let k = 0;
    world.listener.onCall((c) => {
      // Odd calls are answered; even ones ring until cancelled.
      if (++k % 2 === 1) void c.answer();
    });
    const run = load(world, { calls: 100, rate: 10, concurrency: 4 }, SCRIPT.replace('pause: 2s', 'pause: 60s'));
    const done = run.run();
    await world.run(1_000);
    expect(run.snapshot().active).toBe(4);
    run.stop();
    const r = await world.settle(done, 30_000);
    expect(r.interrupted).toBe(true);
    // The callers' 60 s pauses end with their calls: the run ends before the 5 s grace runs out.
    expect(r.durationMs).toBeLessThan(1_000 + 5_000);
    expect(r.stats.started).toBe(4);
    expect(r.stats.interrupted).toBe(4);
    expect(r.stats.failed).toBe(0);
    expect(world.incoming.map((c) => c.summary().end?.kind).sort()).toEqual(['cancelled', 'cancelled', 'hangup', 'hangup']);
    expect(world.incoming.every((c) => c.state === 'ended')).toBe(true);
  });
});
