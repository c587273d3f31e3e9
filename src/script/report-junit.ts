/**
 * `--report junit.xml`: JUnit XML as CI servers read it (Jenkins, GitLab, GitHub test reporters):
 * one <testsuite> per call (iteration), one <testcase> per step, <failure> with the exact message,
 * <skipped/> for the steps after a failure; the call's SIP outcome, redirect chain and RTP figures as
 * properties, the timeline as <system-out>. Text is escaped for XML 1.0, and characters XML 1.0 cannot
 * carry at all (control characters) are dropped.
 */
import { resolve } from 'node:path';
import type { IterationResult, RunResult, StepResult } from './results.js';

export interface JunitOptions {
  /** More files to attach to a call's suite (the HTML report of `--report x.html`), absolute or relative paths. */
  attachments?: (it: IterationResult) => string[];
}

/**
 * The files of a call, as `[[ATTACHMENT|/abs/path]]` lines: the convention the Jenkins JUnit Attachments
 * plugin reads in a suite's or a case's system-out, and GitLab in a case's. Recordings, the pcap, then
 * the options' extras; absolute, so they resolve wherever the CI job archived them from.
 */
export function attachmentsOf(it: IterationResult, opts: JunitOptions = {}): string[] {
  const files = [...it.recordings.map((r) => r.path), ...(it.call.pcap !== undefined ? [it.call.pcap] : []), ...(opts.attachments?.(it) ?? [])];
  return [...new Set(files.map((f) => resolve(f)))].map((f) => `[[ATTACHMENT|${f}]]`);
}

export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value))}"`;
const secs = (ms: number): string => (ms / 1000).toFixed(3);

function testcase(it: IterationResult, s: StepResult, classname: string, attachments: string[]): string {
  const head = `    <testcase${attr('name', `${s.index}. ${s.label} (line ${s.line})`)}${attr('classname', classname)}${attr('time', secs(s.durationMs))}`;
  if (s.status === 'passed') {
    return s.detail ? `${head}>\n      <system-out>${xmlEscape(s.detail)}</system-out>\n    </testcase>` : `${head}/>`;
  }
  if (s.status === 'skipped') return `${head}>\n      <skipped${attr('message', s.detail ?? 'skipped')}/>\n    </testcase>`;
  void it;
  // GitLab shows a case's attachments, and only for failed cases: the evidence goes where it is looked for.
  const out = attachments.length > 0 ? `\n      <system-out>${xmlEscape(attachments.join('\n'))}</system-out>` : '';
  return `${head}>\n      <failure${attr('message', s.error ?? 'failed')}${attr('type', s.errorType ?? 'StepFailure')}>${xmlEscape(s.error ?? '')}</failure>${out}\n    </testcase>`;
}

function properties(it: IterationResult): string {
  const c = it.call;
  const props: Array<[string, string | number]> = [['call.direction', c.direction], ['call.target', c.target], ['call.callId', c.callId]];
  if (c.status !== undefined) props.push(['sip.status', `${c.status} ${c.reason ?? ''}`.trim()]);
  props.push(['sip.chain', c.redirects.map((r) => `${r.status ?? '-'} ${r.uri}`).join(' | ')]);
  if (c.setupError) props.push(['call.setupError', c.setupError]);
  if (c.endedBy) props.push(['call.endedBy', c.endedBy]);
  if (c.codec) props.push(['rtp.codec', c.codec]);
  if (c.rtp) {
    props.push(['rtp.sent.packets', c.rtp.sent.packets], ['rtp.received.packets', c.rtp.received.packets], ['rtp.received.lost', c.rtp.received.lost], ['rtp.received.jitterMs', c.rtp.received.jitterMs]);
  }
  const q = c.quality;
  if (q) {
    const fig = (x: number | undefined, digits: number): string => (x === undefined ? 'not measured' : x.toFixed(digits));
    const pdd = q.postDialDelay;
    props.push(
      ['quality.mos', fig(q.mos, 2)], ['quality.r', fig(q.r, 1)], ['quality.lossPercent', fig(q.received.lossPercent, 2)],
      ['quality.jitterMs', fig(q.received.maxJitterMs, 2)], ['quality.rttMs', fig(q.received.rttMs, 1)],
      ['quality.postDialDelayMs', fig(pdd.toRingingMs ?? pdd.toFinalMs, 0)], ['quality.oneWayAudio', String(q.oneWayAudio.oneWay)],
    );
  }
  props.push(['dtmf.sent', it.dtmf.sent.map((d) => `${d.digit}@${d.atMs}ms/${d.method}`).join(' ')]);
  props.push(['dtmf.received', it.dtmf.received.map((d) => `${d.digit}@${d.atMs}ms/${d.method}`).join(' ')]);
  props.push(['speech', it.speech.map((s) => `${s.startMs}-${s.endMs ?? ''}ms`).join(' ')]);
  for (const [k, v] of Object.entries(it.vars)) props.push([`var.${k}`, v]);
  for (const r of it.recordings) props.push(['recording', r.path]);
  return `    <properties>\n${props.map(([n, v]) => `      <property${attr('name', n)}${attr('value', v)}/>`).join('\n')}\n    </properties>`;
}

export function junitReport(result: RunResult, opts: JunitOptions = {}): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = result.iterations.flatMap((i) => i.steps);
  const setupErrors = result.iterations.filter((i) => i.setupFailed).length;
  out.push(`<testsuites${attr('name', result.name)}${attr('tests', all.length + setupErrors)}${attr('failures', all.filter((s) => s.status === 'failed').length)}${attr('errors', setupErrors)}${attr('skipped', all.filter((s) => s.status === 'skipped').length)}${attr('time', secs(result.durationMs))}${attr('timestamp', result.startedAt)}>`);
  for (const it of result.iterations) {
    const classname = `${result.name}.${it.index}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    const attachments = attachmentsOf(it, opts);
    const cases = it.steps.map((s) => testcase(it, s, classname, attachments));
    if (it.setupFailed) {
      cases.unshift(`    <testcase${attr('name', `0. call ${it.call.target}`)}${attr('classname', classname)} time="0.000">\n      <error${attr('message', it.call.setupError ?? 'the call could not be set up')}${attr('type', it.call.failureKind ?? 'setup')}/>\n    </testcase>`);
    }
    out.push(`  <testsuite${attr('name', it.name)}${attr('tests', cases.length)}${attr('failures', it.steps.filter((s) => s.status === 'failed').length)}${attr('errors', it.setupFailed ? 1 : 0)}${attr('skipped', it.steps.filter((s) => s.status === 'skipped').length)}${attr('time', secs(it.durationMs))}${attr('timestamp', it.startedAt)}>`);
    out.push(properties(it));
    out.push(...cases);
    out.push(`    <system-out>${xmlEscape([...it.timeline, ...attachments].join('\n'))}</system-out>`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
