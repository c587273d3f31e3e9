import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript, loadScript } from '../../../src/script/parse.js';
import { ScriptError } from '../../../src/script/errors.js';

const root = resolve(__dirname, '../../..');
const file = join(root, 'script.yaml');
const parse = (text: string, vars?: Record<string, string>) => parseScript(text, file, { env: { HOME: '/home/x' }, ...(vars ? { vars } : {}) });

function errorOf(text: string): string {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return (e as Error).message.replace(`${file}:`, 'script.yaml:');
  }
  throw new Error('no error');
}

describe('script parser', () => {
  it('reads the sketch of issue 6: every step with its line', () => {
    const s = parse(`call: { target: "sip:680@127.0.0.1:5060;transport=tcp", from: "111", diversion: "613" }
steps:
  - wait_for: speech      # greeting starts
    timeout: 5s
  - record: greeting.wav
    until: silence
    max: 30s
  - dtmf: "#"
  - wait_for: silence
  - dtmf: "680#"
  - expect: { dtmf: "1" }
  - play: audio/message.wav
  - hangup
`);
    const it0 = s.iterations[0]!;
    expect(it0.call).toMatchObject({ target: 'sip:680@127.0.0.1:5060;transport=tcp', from: '111', diversion: ['613'], line: 1 });
    expect(it0.steps.map((x) => [x.kind, x.line, x.label])).toEqual([
      ['wait_speech', 3, 'wait_for speech'],
      ['record', 5, 'record greeting.wav'],
      ['dtmf', 8, 'dtmf #'],
      ['wait_silence', 9, 'wait_for silence'],
      ['dtmf', 10, 'dtmf 680#'],
      ['expect_dtmf', 11, 'expect dtmf 1'],
      ['play', 12, 'play audio/message.wav'],
      ['hangup', 13, 'hangup'],
    ]);
    expect(it0.steps[0]).toMatchObject({ timeoutMs: 5000 });
    expect(it0.steps[1]).toMatchObject({ until: 'silence', maxMs: 30_000, silenceMs: 1500 });
    expect(it0.steps[3]).toMatchObject({ minMs: 1500, timeoutMs: 30_000 });
    expect(it0.steps[6]).toMatchObject({ kind: 'play', wait: true, loop: false });
  });

  it.each([
    ['wait_for: { silence: 2s }', { kind: 'wait_silence', minMs: 2000 }],
    ['wait_for: silence\n    min: 700ms', { kind: 'wait_silence', minMs: 700 }],
    ['wait_for: tone', { kind: 'wait_tone', frequencies: [1000], minDurationMs: 100 }],
    ['wait_for: { tone: [440, 1400 Hz], timeout: 1m }', { kind: 'wait_tone', frequencies: [440, 1400], timeoutMs: 60_000 }],
    ['wait_for: dtmf', { kind: 'wait_dtmf', digits: undefined }],
    ['wait_for: { dtmf: "1#" }', { kind: 'wait_dtmf', digits: '1#' }],
    ['wait_for: hangup', { kind: 'wait_hangup', timeoutMs: 30_000 }],
    ['wait_for: { prompt: audio/prompts/main-menu.wav, threshold: 0.6 }', { kind: 'wait_prompt', threshold: 0.6, label: 'wait_for prompt audio/prompts/main-menu.wav' }],
    ['record: x.wav\n    until: { tone: 1400 }', { kind: 'record', until: 'tone', frequencies: [1400] }],
    ['record: x.wav\n    until: { dtmf: "#" }\n    stereo: true', { kind: 'record', until: 'dtmf', digits: '#', stereo: true }],
    ['record: x.wav\n    until: { silence: 3s }', { kind: 'record', until: 'silence', silenceMs: 3000, maxMs: 60_000 }],
    ['record: x.wav\n    until: hangup', { kind: 'record', until: 'hangup' }],
    ['play: audio/message.wav\n    wait: false\n    loop: yes', { kind: 'play', wait: false, loop: true }],
    ['dtmf: "12,3#"\n    mode: inband', { kind: 'dtmf', digits: '12,3#', mode: 'inband', label: 'dtmf 12,3# (inband)' }],
    ['dtmf: "*9"\n    mode: rfc2833', { kind: 'dtmf', mode: 'rfc4733' }],
    ['pause: 1.5s', { kind: 'pause', ms: 1500 }],
    ['hangup: {}', { kind: 'hangup' }],
    ['expect: { sip: [302, 200] }', { kind: 'expect_sip', statuses: [302, 200], chain: true, label: 'expect sip 302 → 200' }],
    ['expect: { sip: 486 }', { kind: 'expect_sip', statuses: [486], chain: false }],
    ['expect: { prompt: audio/prompts/enter-pin.wav }\n    margin: 2s', { kind: 'expect_prompt', marginMs: 2000, label: 'expect prompt enter-pin.wav' }],
    ['expect: hangup\n    timeout: 5s', { kind: 'expect_hangup', timeoutMs: 5000 }],
    ['expect: { dtmf: "1" }\n    name: far end confirms', { kind: 'expect_dtmf', label: 'far end confirms' }],
  ])('step %s', (text, want) => {
    const s = parse(`call: sip:1@127.0.0.1\nsteps:\n  - ${text}\n`);
    expect(s.iterations[0]!.steps[0]).toMatchObject(want);
  });

  it.each([
    ['steps:\n  - hangup\n', 'script.yaml:1: the script needs call: (a number to call) or listen: (wait for a call)'],
    ['call: sip:1@h\nsteps:\n  - wait_for: speech\n  - wiat_for: silence\n', 'script.yaml:4: unknown step "wiat_for" (did you mean "wait_for"?)'],
    ['call: sip:1@h\nsteps:\n  - wait_for: speech\n    timeout: 5\n', 'script.yaml:4: timeout: "5" needs a unit (5s or 5ms)'],
    ['call: sip:1@h\nsteps:\n  - wait_for: speach\n', 'script.yaml:3: wait_for speach: unknown (speech, silence, tone, dtmf, hangup, prompt)'],
    ['call: sip:1@h\nsteps:\n  - dtmf: "12x"\n', 'script.yaml:3: dtmf: "12x": "x" is not a DTMF key (0-9, *, #, A-D, "," for a pause)'],
    ['call: sip:1@h\nsteps:\n  - play: nowhere.wav\n', /^script\.yaml:3: play: nowhere\.wav: .*no such file/],
    ['call: sip:1@h\nsteps:\n  - record: x.wav\n    untill: silence\n', 'script.yaml:4: unknown option "untill" for record (until, max, silence, frequency, frequencies, digits, stereo)'],
    ['call: sip:${ext}@h\nsteps:\n  - hangup\n', 'script.yaml:1: unknown variable ${ext} (known: iteration)'],
    ['call: sip:1@h\nsteps:\n  - expect: { sip: 999 }\n', 'script.yaml:3: 999 is not a SIP status (100-699)'],
    ['call: sip:1@h\nsteps:\n  - wait_for: speech\n    dtmf: "1"\n', 'script.yaml:4: one step per list item: wait_for and dtmf are both here'],
    ['call: sip:1@h\nsteps: [\n', /^script\.yaml:\d: not valid YAML: /],
    ['call: sip:1@h\nstep:\n  - hangup\n', 'script.yaml:2: unknown key "step" (a script has name, call, listen, vars, foreach, repeat, vad, steps)'],
    ['call: sip:1@h\nsteps: []\n', 'script.yaml:2: steps: must be a list of at least one step'],
    ['call: sip:1@h\nsteps:\n  - pause\n', 'script.yaml:3: pause needs a value (pause: ...)'],
    ['call: sip:1@h\nsteps:\n  - expect: { prompt: audio/prompts/enter-pin.wav, threshold: 2 }\n', 'script.yaml:3: threshold must be a number in (0, 1]'],
    ['call: { from: 1 }\nsteps:\n  - hangup\n', 'script.yaml:1: call: needs target: (the number or URI to call)'],
    ['call: sip:1@h\nvad: { margin: 3 }\nsteps:\n  - hangup\n', 'script.yaml:2: unknown vad: setting "margin" (margin_db, min_speech_dbfs, onset, hangover, floor_window)'],
  ])('%j fails with its line', (text, message) => {
    const m = errorOf(text);
    if (typeof message === 'string') expect(m).toBe(message);
    else expect(m).toMatch(message);
  });

  // The spellings only the shared parsers know (sdp/codec-name, media/dtmf/mode, sip/message/uri-scheme,
  // util/duration): the script reads codecs, DTMF modes, targets and durations through them.
  it('reads codecs, DTMF modes, targets and durations with the parsers the CLI uses', () => {
    const s = parse('call: { target: "680@127.0.0.1:5060", codecs: "mulaw, G.711a, ulaw", dtmf: sip-info, timeout: 1m30s }\nsteps:\n  - dtmf: "1"\n    mode: RFC 2833\n');
    expect(s.iterations[0]!.call).toMatchObject({ target: '680@127.0.0.1:5060', codecs: ['PCMU', 'PCMA'], dtmfMode: 'info', setupTimeoutMs: 90_000 });
    expect(s.iterations[0]!.steps[0]).toMatchObject({ kind: 'dtmf', mode: 'rfc4733' });
  });

  it('reads the SRTP keys of call: (srtp, srtp_suites as a list or a text; a bare off as YAML 1.1 would read it)', () => {
    const s = parse('call: { target: "sips:680@h", srtp: Mandatory, srtp_suites: [aes_cm_128_hmac_sha1_32, AEAD_AES_128_GCM] }\nsteps:\n  - hangup\n');
    expect(s.iterations[0]!.call).toMatchObject({ srtp: 'mandatory', srtpSuites: ['AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'] });
    expect(parse('call: { target: "sip:1@h", srtp: off, srtp_suites: "AES_CM_128_HMAC_SHA1_80" }\nsteps:\n  - hangup\n').iterations[0]!.call)
      .toMatchObject({ srtp: 'off', srtpSuites: ['AES_CM_128_HMAC_SHA1_80'] });
    expect(errorOf('call: { target: sip:1@h, srtp: always }\nsteps:\n  - hangup\n')).toBe('script.yaml:1: call.srtp: unknown SRTP mode "always": off, optional or mandatory');
    expect(errorOf('call: { target: sip:1@h, srtp_suites: [F8_128_HMAC_SHA1_80] }\nsteps:\n  - hangup\n')).toMatch(/^script\.yaml:1: call\.srtp_suites: unknown SRTP suite F8_128_HMAC_SHA1_80/);
  });

  it.each([
    ['call: { target: sip:1@h, codecs: [pcmu, g729] }\nsteps:\n  - hangup\n', 'script.yaml:1: call.codecs: unsupported codec "g729": umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)'],
    ['call: { target: sip:1@h, dtmf: sms }\nsteps:\n  - hangup\n', 'script.yaml:1: call.dtmf: unknown DTMF mode "sms": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)'],
    ['call: sip:1@h\nsteps:\n  - dtmf: "1"\n    mode: tones\n', 'script.yaml:4: mode: unknown DTMF mode "tones": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)'],
    ['call: tel:+15551234\nsteps:\n  - hangup\n', 'script.yaml:1: call: bad call target "tel:+15551234": umphone calls sip: or sips: URIs (no gateway for tel:)'],
    ['name: x\ncall:\n  target: fax:123\nsteps:\n  - hangup\n', 'script.yaml:3: call.target: bad call target "fax:123": umphone calls sip: or sips: URIs (no gateway for fax:)'],
    ['call: sip:1@h\nsteps:\n  - pause: -2s\n', 'script.yaml:3: pause: "-2s" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
  ])('%j: a shared parser\'s error, at its line', (text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it('substitutes variables everywhere, from vars:, the command line, ${iteration} and ${env.X}', () => {
    const s = parse(`vars: { ext: "613", host: 127.0.0.1, mbx: "\${ext}" }
call: { target: "sip:680@\${host}", diversion: "\${mbx}", from: "\${env.HOME}" }
repeat: 2
steps:
  - dtmf: "\${ext}#"
  - record: "greeting-\${ext}-\${iteration}.wav"
  - pause: "$\${literal}"
`.replace('  - pause: "$${literal}"\n', ''), { host: '10.0.0.1' });
    expect(s.iterations).toHaveLength(2);
    expect(s.iterations[0]!.call).toMatchObject({ target: 'sip:680@10.0.0.1', diversion: ['613'], from: '/home/x' });
    expect(s.iterations[1]!.steps.map((x) => x.label)).toEqual(['dtmf 613#', 'record greeting-613-2.wav']);
  });

  it('foreach: csv gives one iteration per row, named by its variables; CSV errors name the CSV line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'umphone-script-'));
    writeFileSync(join(dir, 'boxes.csv'), 'ext,pin\n613,1234\n"614","12,34"\n\n# a comment\n615,0000\n');
    writeFileSync(join(dir, 's.yaml'), 'call: "sip:${ext}@127.0.0.1"\nforeach: { csv: boxes.csv }\nsteps:\n  - dtmf: "${pin}#"\n');
    const s = loadScript(join(dir, 's.yaml'));
    expect(s.iterations.map((i) => [i.label, i.call!.target])).toEqual([
      ['ext=613 pin=1234', 'sip:613@127.0.0.1'], ['ext=614 pin=12,34', 'sip:614@127.0.0.1'], ['ext=615 pin=0000', 'sip:615@127.0.0.1'],
    ]);
    writeFileSync(join(dir, 'bad.csv'), 'ext,pin\n613\n');
    writeFileSync(join(dir, 't.yaml'), 'call: sip:1@h\nforeach: { csv: bad.csv }\nsteps:\n  - hangup\n');
    expect(() => loadScript(join(dir, 't.yaml'))).toThrow(`${join(dir, 'bad.csv')}:2: 1 fields where the header has 2`);
  });

  it('listen: instead of call:', () => {
    const s = parse('listen: { timeout: 2m, answer_after: 1s }\nsteps:\n  - play: audio/prompts/goodbye.wav\n  - hangup\n');
    expect(s.iterations[0]!.listen).toMatchObject({ timeoutMs: 120_000, answerAfterMs: 1000 });
    expect(s.iterations[0]!.call).toBeUndefined();
  });

  it('vad: settings', () => {
    const s = parse('call: sip:1@h\nvad: { margin_db: 9, onset: 80ms, hangover: 500ms, min_speech_dbfs: -50, floor_window: 3s }\nsteps:\n  - hangup\n');
    expect(s.vad).toEqual({ marginDb: 9, onsetMs: 80, hangoverMs: 500, minSpeechDbfs: -50, floorWindowMs: 3000 });
  });

  it('expect: quality thresholds become one expect_quality step; a bad threshold is a script error on its line', () => {
    const s = parse(`call: { target: "sip:1@h" }
steps:
  - expect: { mos: ">= 4.0", post_dial_delay: "< 2s", loss: "< 1%", jitter: "< 30ms", one_way_audio: false }
  - hangup
  - expect: { mos: "> 3.5" }
    name: whole call
`);
    const [first, , last] = s.iterations[0]!.steps;
    expect(first).toMatchObject({ kind: 'expect_quality', line: 3, label: 'expect mos >= 4.0, post_dial_delay < 2s, loss < 1%, jitter < 30ms, one_way_audio false' });
    expect(first!.kind === 'expect_quality' && first!.thresholds.map((t) => [t.metric, t.kind === 'compare' ? t.value : t.value])).toEqual([
      ['mos', 4], ['post_dial_delay', 2000], ['loss', 1], ['jitter', 30], ['one_way_audio', false],
    ]);
    expect(last).toMatchObject({ kind: 'expect_quality', label: 'whole call' });
    expect(errorOf('call: { target: "sip:1@h" }\nsteps:\n  - expect: { mos: "4.0" }\n')).toMatch(/^script\.yaml:3:.*mos: "4\.0" needs a comparison/);
    expect(errorOf('call: { target: "sip:1@h" }\nsteps:\n  - expect: { loss: "< 1" }\n')).toMatch(/loss: "1" is not a percentage \(write 1%\)/);
    expect(errorOf('call: { target: "sip:1@h" }\nsteps:\n  - expect: { mos: ">= 4", sip: 200 }\n')).toMatch(/"sip" is not a quality metric.*own expect step/);
  });

  it('every example script parses', () => {
    for (const f of ['record-greeting.yaml', 'leave-message.yaml', 'subscriber-login.yaml', 'auto-attendant.yaml', 'many-mailboxes.yaml']) {
      const s = loadScript(join(root, 'scripts/examples', f));
      expect(s.iterations.length).toBeGreaterThan(0);
    }
  });
});
