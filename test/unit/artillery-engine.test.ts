/**
 * The Artillery engine on the memory network: a fake Artillery event emitter records what the engine
 * emits, the caller phone of phoneWorld places the calls, a listener answers (or refuses) them. The
 * flows use the script language's steps with Artillery's loop and variables.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UmphoneEngine, checkConfig, workerPorts, type ArtilleryContext } from '../../src/artillery/engine.js';
import { phoneWorld, type PhoneWorld } from '../support/phone-world.js';

class FakeEvents {
  readonly counters = new Map<string, number>();
  readonly histograms = new Map<string, number[]>();
  readonly errors: string[] = [];
  emit(event: string, name?: string | number, value?: number): boolean {
    if (event === 'counter') this.counters.set(String(name), (this.counters.get(String(name)) ?? 0) + (value ?? 0));
    if (event === 'histogram') this.histograms.set(String(name), [...(this.histograms.get(String(name)) ?? []), value!]);
    if (event === 'error') this.errors.push(String(name));
    return true;
  }
}

let w: PhoneWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Runs one virtual user of `flow` on the world's caller; resolves with the callback's error (or null). */
async function runUser(world: PhoneWorld, flow: unknown[], vars: Record<string, unknown> = {}, processor: Record<string, unknown> = {}): Promise<{ ee: FakeEvents; err: Error | null; context: ArtilleryContext }> {
  const ee = new FakeEvents();
  const engine = new UmphoneEngine({ config: { processor } }, ee, {}, { phone: async () => world.caller, clock: world.clock });
  const scenario = engine.createScenario({ name: 'unit', flow }, ee);
  const context: ArtilleryContext = { vars };
  const done = new Promise<Error | null>((resolve) => scenario(context, (err) => resolve(err)));
  const err = await world.settle(done, 120_000);
  return { ee, err, context };
}

describe('Artillery engine (memory network)', () => {
  it('places the call, runs the steps with variables and a loop, and emits the call metrics', async () => {
    w = phoneWorld({ listener: { autoAnswer: 200 } });
    const { ee, err } = await runUser(w, [
      { call: { target: '{{ target }}', from: '111', diversion: '{{ extension }}' } },
      { loop: [{ dtmf: '{{ pin }}' }, { think: 0.2 }], count: 2 },
      { dtmf: '${extension}#' },
      'hangup',
    ], { target: w.calleeUri, extension: '613', pin: '42' });
    expect(err).toBeNull();
    expect(ee.counters.get('umphone.calls.started')).toBe(1);
    expect(ee.counters.get('umphone.calls.answered')).toBe(1);
    expect(ee.counters.has('umphone.calls.failed')).toBe(false);
    expect(ee.errors).toEqual([]);
    // The callee heard the digits of both loop turns, then the extension: both variable syntaxes work.
    const got = w.incoming[0]!.summary().dtmf.received.map((d) => d.digit).join('');
    expect(got).toBe('4242613#');
    // The listener rings (180) before it answers 200 ms later: the post-dial delay is to the 180.
    const pdd = ee.histograms.get('umphone.post_dial_delay')!;
    const setup = ee.histograms.get('umphone.call_setup')!;
    expect(pdd).toHaveLength(1);
    expect(setup).toHaveLength(1);
    expect(setup[0]!).toBeGreaterThanOrEqual(200);
    expect(pdd[0]!).toBeLessThan(setup[0]!);
    expect(ee.histograms.get('umphone.rtp.loss')).toEqual([0]);
    expect(ee.histograms.get('umphone.rtp.jitter')).toHaveLength(1);
    // The call's quality model: no loss on the memory network, so G.711's best MOS (about 4.4).
    expect(ee.histograms.get('umphone.mos')![0]!).toBeGreaterThan(4);
  });

  it('a refused call counts as failed by its SIP code and fails the virtual user with "SIP 486"', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, maxCalls: 0 } });
    const { ee, err } = await runUser(w, [{ call: w.calleeUri }, { wait_for: 'speech' }]);
    expect(err).toBeInstanceOf(Error);
    expect(ee.counters.get('umphone.calls.started')).toBe(1);
    expect(ee.counters.get('umphone.calls.failed')).toBe(1);
    expect(ee.counters.get('umphone.calls.failed.486')).toBe(1);
    expect(ee.counters.has('umphone.calls.answered')).toBe(false);
    expect(ee.errors).toEqual(['SIP 486']);
  });

  it('expect: { sip: 486 } judges the refusal as in a script: the user passes', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, maxCalls: 0 } });
    const { ee, err } = await runUser(w, [{ call: w.calleeUri }, { expect: { sip: 486 } }]);
    expect(err).toBeNull();
    expect(ee.counters.get('umphone.calls.failed.486')).toBe(1);
    expect(ee.errors).toEqual([]);
  });

  it('a failed step counts under its kind, hangs up and fails the user; later steps do not run', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    let after = false;
    const { ee, err } = await runUser(w, [
      { call: w.calleeUri },
      { wait_for: { dtmf: '5' }, timeout: '1s' },
      { function: 'mark' },
    ], {}, { mark: (_c: unknown, _e: unknown, next: () => void) => { after = true; next(); } });
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/5/);
    expect(ee.counters.get('umphone.steps.failed.wait_dtmf')).toBe(1);
    expect(ee.errors).toEqual(['wait_dtmf: WaitTimeoutError']);
    expect(after).toBe(false);
    expect(w.incoming[0]!.state).toBe('ended');
  });

  it('a processor function runs between steps and sets a variable the next step uses', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const { err } = await runUser(w, [
      { function: 'pickPin' },
      { call: w.calleeUri },
      { dtmf: '{{ pin }}' },
    ], {}, { pickPin: (c: ArtilleryContext, _e: unknown, next: () => void) => { c.vars.pin = '97'; next(); } });
    expect(err).toBeNull();
    expect(w.incoming[0]!.summary().dtmf.received.map((d) => d.digit).join('')).toBe('97');
  });

  it('a bad step is a clear error naming the flow item, and the user fails (its call hung up)', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const { ee, err } = await runUser(w, [{ call: w.calleeUri }, { wiat_for: 'speech' }]);
    expect(err!.message).toBe('flow item 2: unknown step "wiat_for" (call, wait_for, record, play, dtmf, pause, hangup, expect, think, loop, log, function)');
    expect(ee.errors).toEqual([`umphone: ${err!.message}`]);
    const bad = await runUser(w, [{ call: w.calleeUri }, { dtmf: '12x' }]);
    expect(bad.err!.message).toMatch(/^flow item 2 \(dtmf\): dtmf: "12x": "x" is not a DTMF key/);
  });
});

describe('Artillery engine config', () => {
  it('refuses an unknown setting and a bad port range', () => {
    expect(() => checkConfig({ sipport: 5070 } as never)).toThrow('config.umphone: unknown setting "sipport"');
    expect(() => checkConfig({ rtpPorts: '30000' })).toThrow('is not a range such as 20000-29999');
  });

  it('gives each worker its own SIP port and an even slice of the RTP range', () => {
    const c = { sipPort: 5070, rtpPorts: '20000-29999' };
    expect(workerPorts(c, 1, 4)).toEqual({ localPort: 5070, rtpPortRange: { min: 20000, max: 22499 } });
    expect(workerPorts(c, 4, 4)).toEqual({ localPort: 5073, rtpPortRange: { min: 27500, max: 29999 } });
    expect(workerPorts({}, 3, 4)).toEqual({});
  });
});
