/**
 * Issue 6 against baresip: it answers and plays a WAV with pauses (a prompt, silence, another prompt);
 * while the script waits, baresip sends DTMF back (RFC 4733, through its ctrl_tcp): the script hears
 * the prompts, the pause, and the far end's digit, and a wrong expectation fails with the right message.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Phone } from '../../src/phone/phone.js';
import { RealClock } from '../../src/util/clock.js';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { WavWriter } from '../../src/media/wav/writer.js';
import { parseScript } from '../../src/script/parse.js';
import { runScript } from '../../src/script/runner.js';
import { killAllChildren, sleep } from '../support/child-process.js';
import { startBaresip, type BaresipHandle } from '../support/baresip.js';

const root = resolve(__dirname, '../..');
const prompts = join(root, 'audio/prompts');
const dir = mkdtempSync(join(tmpdir(), 'umphone-script-baresip-'));
// welcome, 2 s of silence, main menu, then 20 s of silence (baresip ends the call when its file ends).
const welcome = loadWavForPlaybackSync(join(prompts, 'welcome.wav')).samples;
const menu = loadWavForPlaybackSync(join(prompts, 'main-menu.wav')).samples;
const source = join(dir, 'ivr.wav');
const w = WavWriter.open(source);
w.write(welcome);
w.writeSilence(8000 * 2);
w.write(menu);
w.writeSilence(8000 * 20);
w.close();

afterAll(() => killAllChildren());

async function run(steps: string, during?: (b: BaresipHandle) => Promise<void>) {
  const b = await startBaresip({ transport: 'tcp', audioSource: source });
  const phone = await Phone.create({ localIp: '127.0.0.1' });
  const lines: string[] = [];
  try {
    const script = parseScript(`call: "${b.uri}"\nsteps:\n${steps}`, join(dir, 'script.yaml'));
    const running = runScript(script, { phone, clock: new RealClock(), log: (l) => lines.push(l), outDir: dir });
    if (during) await during(b);
    return { result: await running, lines };
  } finally {
    await phone.close();
    await b.stop();
  }
}

/** Send a digit from baresip once the menu has played (welcome + 2 s + menu after the answer). */
const digitAfterMenu = (digit: string) => async (b: BaresipHandle) => {
  await sleep((welcome.length + menu.length) / 8 + 3000);
  await b.sendDtmf(digit);
};

describe('scripts against baresip playing prompts with pauses', () => {
  it('hears both prompts and the pause between them, and the digit baresip sends back', async () => {
    const { result, lines } = await run(`
  - expect: { prompt: ${prompts}/welcome.wav }
  - wait_for: { silence: 1s }
  - expect: { prompt: ${prompts}/main-menu.wav }
  - expect: { dtmf: "7" }
    timeout: 10s
  - hangup
`, digitAfterMenu('7'));
    expect(result.passed, lines.join('\n')).toBe(true);
    const digits = result.iterations[0]!.dtmf.received;
    expect(digits.map((d) => [d.digit, d.method])).toEqual([['7', 'rfc4733']]);
  });

  it('fails a wrong expectation with what was heard instead', async () => {
    const { result, lines } = await run(`
  - expect: { prompt: ${prompts}/main-menu.wav }
  - expect: { dtmf: "1" }
    timeout: 10s
`);
    expect(result.passed).toBe(false);
    expect(result.exitCode).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/✗ expect prompt main-menu\.wav: heard another prompt/);
  });
});
