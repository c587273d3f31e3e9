import { describe, expect, it } from 'vitest';
import { junitReport, xmlEscape } from '../../../src/script/report-junit.js';
import { jsonReport } from '../../../src/script/report-json.js';
import { exitCodeOf, type IterationResult, type RunResult } from '../../../src/script/results.js';

/** A strict little XML 1.0 well-formedness check: one root, balanced tags, quoted attributes, known entities. */
function checkXml(xml: string): { root: string; elements: Array<{ name: string; attrs: Record<string, string>; text: string }> } {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const elements: Array<{ name: string; attrs: Record<string, string>; text: string }> = [];
  let root = '';
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    if (m[6]) throw new Error(`stray < at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) {
      const text = m[5];
      if (stack.length === 0 && text.trim()) throw new Error('text outside the root');
      const bad = /&(?!(amp|lt|gt|quot|apos);)/.exec(text);
      if (bad) throw new Error(`bad entity in text: ${text.slice(bad.index, bad.index + 10)}`);
      if (elements.length > 0) elements[elements.length - 1]!.text += text;
      continue;
    }
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(a[2]!)) throw new Error(`bad entity in attribute ${a[1]}`);
      attrs[a[1]!] = a[2]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    }
    if (stack.length === 0) {
      if (root) throw new Error('two root elements');
      root = name!;
    }
    elements.push({ name: name!, attrs, text: '' });
    if (!selfClose) stack.push(name!);
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join(', ')}`);
  return { root, elements };
}

function iteration(over: Partial<IterationResult> = {}): IterationResult {
  return {
    index: 1, name: 'login #1 (ext=613)', vars: { ext: '613' }, startedAt: '2024-01-01T00:00:00.000Z', durationMs: 9000, passed: false, setupFailed: false,
    call: {
      direction: 'outgoing', target: 'sip:6000@127.0.0.1:5060;transport=tcp', callId: 'abc', answered: true, status: 200, reason: 'OK',
      redirects: [{ uri: 'sip:6000@127.0.0.1:5060', depth: 0, status: 302 }, { uri: 'sip:6000@127.0.0.1:5065', depth: 1, status: 200 }],
      durationMs: 8000, endedBy: 'local (BYE)',
      rtp: { sent: { packets: 400, bytes: 64000 }, received: { packets: 399, lost: 1, lossPercent: 0.25, jitterMs: 0.4, duplicates: 0, outOfOrder: 0 } },
    },
    steps: [
      { index: 1, line: 5, label: 'wait_for speech', kind: 'wait_speech', status: 'passed', startMs: 0, durationMs: 900, detail: 'speech after 0.9 s' },
      { index: 2, line: 7, label: 'expect prompt <enter-pin> & "x"', kind: 'expect_prompt', status: 'failed', startMs: 900, durationMs: 4000, error: 'heard another prompt (3.1 s of audio) instead of enter-pin.wav (score 0.21 < 0.5) \u0001 & <b>', errorType: 'PromptMismatchError', score: 0.21, threshold: 0.5 },
      { index: 3, line: 9, label: 'hangup', kind: 'hangup', status: 'skipped', startMs: 4900, durationMs: 0, detail: 'skipped: an earlier step failed' },
    ],
    dtmf: { sent: [{ digit: '6', method: 'rfc4733', atMs: 1000, durationMs: 100 }], received: [{ digit: '1', method: 'inband', atMs: 3000, durationMs: 80 }] },
    speech: [{ startMs: 300, endMs: 3300 }, { startMs: 5000, endMs: null }],
    tones: [],
    recordings: [{ path: '/tmp/a&b.wav', durationMs: 4000 }],
    timeline: ['   0.0s  ▶ call sip:6000@127.0.0.1 (302 → 200)', '   4.9s  ✗ expect prompt: <bad> & "quoted"'],
    ...over,
  };
}

function run(iterations: IterationResult[]): RunResult {
  return { script: 's.yaml', name: 'login', startedAt: '2024-01-01T00:00:00.000Z', durationMs: 10_000, passed: false, exitCode: exitCodeOf(iterations), iterations };
}

describe('JUnit report', () => {
  it('is well-formed: one testsuite per call, one testcase per step, failure and skipped', () => {
    const second = iteration({ index: 2, name: 'login #2 (ext=614)', passed: false, setupFailed: true, steps: [], call: { direction: 'outgoing', target: 'sip:x', callId: '', answered: false, redirects: [], durationMs: 0, status: 486, setupError: '486 Busy Here', failureKind: 'rejected' } });
    const xml = junitReport(run([iteration(), second]));
    const { root, elements } = checkXml(xml);
    expect(root).toBe('testsuites');
    const suites = elements.filter((e) => e.name === 'testsuite');
    expect(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures, s.attrs.errors, s.attrs.skipped])).toEqual([
      ['login #1 (ext=613)', '3', '1', '0', '1'],
      ['login #2 (ext=614)', '1', '0', '1', '0'],
    ]);
    const top = elements[0]!;
    expect([top.attrs.tests, top.attrs.failures, top.attrs.errors, top.attrs.skipped]).toEqual(['4', '1', '1', '1']);
    const cases = elements.filter((e) => e.name === 'testcase');
    expect(cases[1]!.attrs.name).toBe('2. expect prompt <enter-pin> & "x" (line 7)');
    const failure = elements.find((e) => e.name === 'failure')!;
    expect(failure.attrs.message).toBe('heard another prompt (3.1 s of audio) instead of enter-pin.wav (score 0.21 < 0.5)  & <b>');
    expect(failure.attrs.type).toBe('PromptMismatchError');
    expect(elements.filter((e) => e.name === 'skipped')).toHaveLength(1);
    expect(elements.find((e) => e.name === 'error')!.attrs.message).toBe('486 Busy Here');
    const firstSuite = elements.slice(0, elements.indexOf(suites[1]!));
    const props = Object.fromEntries(firstSuite.filter((e) => e.name === 'property').map((e) => [e.attrs.name, e.attrs.value]));
    expect(props['sip.chain']).toBe('302 sip:6000@127.0.0.1:5060 | 200 sip:6000@127.0.0.1:5065');
    expect(props['dtmf.received']).toBe('1@3000ms/inband');
    expect(props['rtp.received.lost']).toBe('1');
    expect(xml).not.toMatch(/\u0001/);
  });

  it('attaches the call\'s WAV, pcap and extra files as [[ATTACHMENT|/abs/path]] in the suite\'s and the failed case\'s system-out', () => {
    const it0 = iteration({ call: { ...iteration().call, pcap: 'out/call-1.pcap' } });
    const xml = junitReport(run([it0]), { attachments: () => ['/tmp/report.html'] });
    const { elements } = checkXml(xml);
    const lines = ['[[ATTACHMENT|/tmp/a&b.wav]]', `[[ATTACHMENT|${process.cwd()}/out/call-1.pcap]]`, '[[ATTACHMENT|/tmp/report.html]]'];
    const outs = elements.filter((e) => e.name === 'system-out').map((e) => e.text.replace(/&amp;/g, '&').trim());
    // The passed case keeps its detail only; the failed case and the suite carry the files.
    expect(outs[0]).toBe('speech after 0.9 s');
    expect(outs[1]).toBe(lines.join('\n'));
    expect(outs[outs.length - 1]!.split('\n').slice(-3)).toEqual(lines);
    // No files, no attachment lines.
    expect(junitReport(run([iteration({ recordings: [] })]))).not.toMatch(/ATTACHMENT/);
  });

  it('escapes the five XML characters and drops control characters', () => {
    expect(xmlEscape(`a<b>&"c'\u0000\u001b\td`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\td');
  });
});

describe('JSON report and exit codes', () => {
  it('round-trips with its version, every step and the call outcome', () => {
    const r = run([iteration()]);
    const j = JSON.parse(jsonReport(r));
    expect(j.umphoneReport).toBe(1);
    expect(j.iterations[0].steps.map((s: { status: string }) => s.status)).toEqual(['passed', 'failed', 'skipped']);
    expect(j.iterations[0].call.redirects.map((h: { status: number }) => h.status)).toEqual([302, 200]);
    expect(j.iterations[0].speech).toEqual([{ startMs: 300, endMs: 3300 }, { startMs: 5000, endMs: null }]);
    expect(j.iterations[0].dtmf.sent[0]).toEqual({ digit: '6', method: 'rfc4733', atMs: 1000, durationMs: 100 });
    expect(j.exitCode).toBe(1);
  });

  it('exit code: 0 all passed, 1 a step failed, 3 a call not set up', () => {
    expect(exitCodeOf([iteration({ passed: true })])).toBe(0);
    expect(exitCodeOf([iteration({ passed: true }), iteration()])).toBe(1);
    expect(exitCodeOf([iteration(), iteration({ setupFailed: true })])).toBe(3);
  });
});
