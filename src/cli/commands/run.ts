/**
 * `umphone run <script.yaml>`: run a caller script (src/script) with a timeline on the console and
 * optional reports (--report junit.xml, --report result.json: the format by the extension).
 *
 * Exit codes: 0 every step passed, 1 a step failed, 2 the script is bad (its line and the reason on
 * stderr) or the command line is, 3 a call could not be set up (and the script did not expect that).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { applyRealtime, REALTIME_OPTIONS, reportRtpRealtime, rtpEngineChoice, type RealtimeArgv, type RtpEngineChoice } from '../realtime.js';
import { RealClock } from '../../util/clock.js';
import { Phone } from '../../phone/phone.js';
import { openRealTransports, type RealTlsOptions, type RealTransports } from '../../phone/real-transports.js';
import { tlsSettings } from '../call-settings.js';
import { readTlsFiles, TLS_INSECURE_WARNING, TLS_OPTIONS } from '../tls-options.js';
import { SRTP_OPTIONS, srtpSettings, type SrtpArgv } from '../srtp-options.js';
import { parseTarget } from '../../phone/call-headers.js';
import { Listener } from '../../phone/listener.js';
import type { CallOptions } from '../../phone/call.js';
import { loadScript } from '../../script/parse.js';
import { runScript } from '../../script/runner.js';
import { jsonReport } from '../../script/report-json.js';
import { junitReport } from '../../script/report-junit.js';
import { RunExit, type RunResult } from '../../script/results.js';
import type { Call } from '../../phone/call.js';
import { runReportPage, writeReport } from '../report-file.js';
import { ScriptError } from '../../script/errors.js';
import type { Script } from '../../script/types.js';
import { contextOf, type CliContext } from '../context.js';

interface RunArgv extends SrtpArgv {
  file: string;
  report?: string[];
  var?: string[];
  out?: string;
  'local-ip'?: string;
  'local-port'?: number;
  transport: 'tcp' | 'udp' | 'tls';
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsInsecure?: boolean;
  user?: string;
  password?: string;
  pcap?: string;
  quiet?: boolean;
}

const EPILOG = [
  'Examples:',
  '  Record the greeting of mailbox 613 (Exchange UM, reached by Diversion):',
  '    umphone run scripts/examples/record-greeting.yaml',
  '  Log in to a mailbox, with a JUnit report for CI:',
  '    umphone run scripts/examples/subscriber-login.yaml --var ext=613 --var pin=1234 --report junit.xml',
  '  One HTML page for every call of the script (SIP ladder, timeline, waveform), the failed step marked:',
  '    umphone run scripts/examples/record-greeting.yaml --report run.html',
  '',
  'The steps and their options: scripts/examples/README.md',
  '',
  'Exit codes: 0 every step passed, 1 a step failed, 2 bad script or usage (with the line and',
  'the reason), 3 a call could not be set up (and the script did not expect it).',
].join('\n');

function builder(y: Argv): Argv<RunArgv> {
  return y
    .positional('file', { describe: 'The script (YAML)', type: 'string', demandOption: true })
    .options({
      ...REALTIME_OPTIONS,
      report: { type: 'string', array: true, describe: 'Write a report: *.xml = JUnit XML, *.json = JSON, *.html = the HTML call report of every call (repeatable)' },
      var: { type: 'string', array: true, describe: 'Set a script variable: --var ext=613 (repeatable; overrides vars:)' },
      out: { type: 'string', describe: 'Folder for the recordings (default: the working directory)' },
      'local-ip': { type: 'string', describe: 'Address to bind and advertise (default: the one routing to the first target)' },
      'local-port': { type: 'number', describe: 'SIP port to listen on (default: any free port; listen: scripts want a fixed one)' },
      transport: { choices: ['tcp', 'udp', 'tls'] as const, default: 'tcp' as const, describe: 'Transport when a target names none (sips: targets always use TLS)' },
      ...TLS_OPTIONS,
      ...SRTP_OPTIONS,
      user: { type: 'string', describe: 'Digest user name (401/407 challenges)' },
      password: { type: 'string', describe: 'Digest password' },
      pcap: { type: 'string', describe: 'Write each call\'s SIP, RTP and RTCP packets to this pcap; {n} = call number, {callid} = Call-ID' },
      quiet: { alias: 'q', type: 'boolean', describe: 'Print only failures and the result line' },
    })
    .epilog(EPILOG) as unknown as Argv<RunArgv>;
}

export const runCommand: CommandModule<object, RunArgv> = {
  command: 'run <file>',
  describe: 'Run a caller script (wait for prompts, send DTMF, record, expect) and report',
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv);
    const rtp = rtpEngineChoice(argv as RealtimeArgv);
    await applyRealtime(argv as RealtimeArgv, ctx.io);
    ctx.exitCode = await runScriptCommand(argv, ctx, rtp);
  },
};

export async function runScriptCommand(argv: RunArgv, ctx: CliContext, rtp: RtpEngineChoice = {}): Promise<number> {
  const vars: Record<string, string> = {};
  for (const v of argv.var ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
    if (!m) {
      ctx.io.err(`umphone: --var ${v}: write name=value\n`);
      return RunExit.badScript;
    }
    vars[m[1]!] = m[2]!;
  }
  for (const r of argv.report ?? []) {
    if (!/\.(xml|json|html?)$/i.test(r)) {
      ctx.io.err(`umphone: --report ${r}: the file name must end in .xml (JUnit), .json or .html (the call report)\n`);
      return RunExit.badScript;
    }
  }
  let script: Script;
  try {
    script = loadScript(argv.file, { env: ctx.io.env, vars });
  } catch (e) {
    if (e instanceof ScriptError) {
      ctx.io.err(`${e.message}\n`);
      return RunExit.badScript;
    }
    throw e;
  }
  let tls: RealTlsOptions;
  try {
    tls = readTlsFiles(tlsSettings(argv));
  } catch (e) {
    ctx.io.err(`umphone: ${(e as Error).message}\n`);
    return RunExit.badScript;
  }
  if (argv.tlsInsecure) ctx.io.err(`${TLS_INSECURE_WARNING}\n`);
  // --srtp is the default of every call and of the answers to listen: iterations; a call's srtp: key wins.
  let srtp: ReturnType<typeof srtpSettings>;
  try {
    srtp = srtpSettings(argv);
  } catch (e) {
    ctx.io.err(`umphone: ${(e as Error).message}\n`);
    return RunExit.badScript;
  }
  const clock = new RealClock();
  let localIp = argv['local-ip'];
  const first = script.iterations[0]?.call?.target;
  if (!localIp && first) {
    try {
      localIp = await Phone.localIpFor(parseTarget(first, argv.transport).host);
    } catch {
      localIp = '127.0.0.1';
    }
  }
  let transports: RealTransports;
  try {
    transports = await openRealTransports({
      localIp: localIp ?? '127.0.0.1', clock, ...(argv['local-port'] !== undefined ? { localPort: argv['local-port'] } : {}), ...rtp, tls,
    });
  } catch (e) {
    ctx.io.err(`umphone: cannot open the SIP transports: ${(e as Error).message}\n`);
    return RunExit.setupFailed;
  }
  const phone = new Phone(transports, {
    localIp: localIp ?? '127.0.0.1',
    transport: argv.transport,
    ...(argv.user && argv.password ? { credentials: { username: argv.user, password: argv.password } } : {}),
  });
  reportRtpRealtime(transports.media, ctx.io);
  const needsListener = script.iterations.some((i) => i.listen);
  const pcap = argv.pcap;
  const listener = needsListener ? new Listener(phone, { ...(pcap !== undefined ? { pcap } : {}), answerOptions: () => ({ ...srtp }) }) : undefined;
  // One file per call: {n} counts the script's calls, the phone fills in {callid}.
  let placed = 0;
  // A JSON or HTML report carries each call's evidence (its SIP messages, its events), read once the phone is closed.
  const evidence = (argv.report ?? []).some((r) => !/\.xml$/i.test(r));
  const calls: Call[] = [];
  // The HTML page plays each call: a call that records nothing else records both sides beside the page.
  const html = (argv.report ?? []).find((r) => /\.html?$/i.test(r));
  const dialer = {
    dial: (target: string, options: CallOptions) => {
      const n = calls.length + 1;
      // --srtp is every call's default; a script call's srtp: key wins.
      const call = phone.dial(target, {
        ...srtp,
        ...options,
        ...(pcap !== undefined ? { pcap: pcap.replace(/\{n\}/g, String(++placed)) } : {}),
        ...(evidence ? { evidence: true } : {}),
        ...(html !== undefined && options.record === undefined ? { record: html.replace(/\.html?$/i, `-call${n}.wav`), recordBoth: true } : {}),
      });
      calls.push(call);
      return call;
    },
  };
  if (listener) ctx.io.out(`listening on ${phone.localIp} (${argv.transport})\n`);
  const quiet = argv.quiet ?? false;
  let result: RunResult;
  try {
    result = await runScript(script, {
      phone: dialer,
      clock,
      log: (line) => {
        if (!quiet || line.includes('✗')) ctx.io.out(`${line}\n`);
      },
      ...(argv.out ? { outDir: argv.out } : {}),
      ...(listener ? { nextCall: (timeoutMs: number) => listener.nextCall({ timeout: timeoutMs }) } : {}),
    });
    const steps = result.iterations.flatMap((i) => i.steps);
    const failed = steps.filter((s) => s.status === 'failed').length;
    const setup = result.iterations.filter((i) => i.setupFailed).length;
    ctx.io.out(`${result.passed ? 'PASSED' : 'FAILED'}: ${steps.filter((s) => s.status === 'passed').length}/${steps.length} steps passed`
      + `${failed ? `, ${failed} failed` : ''}${setup ? `, ${setup} call(s) not set up` : ''} in ${result.iterations.length} call(s), ${(result.durationMs / 1000).toFixed(1)} s\n`);
  } finally {
    await listener?.close();
    await phone.close();
  }
  writeReports(ctx, argv.report ?? [], result, calls);
  return result.exitCode;
}

/** The reports, written once the phone is closed (the evidence then holds the answers to our BYEs). */
function writeReports(ctx: CliContext, reports: readonly string[], result: RunResult, calls: readonly Call[]): void {
  const withEvidence = {
    ...result,
    iterations: result.iterations.map((it) => {
      const ev = calls.find((c) => c.callId !== '' && c.callId === it.call.callId)?.evidence;
      return ev ? { ...it, evidence: ev.toJSON() } : it;
    }),
  };
  const page = reports.find((r) => /\.html?$/i.test(r));
  for (const r of reports) {
    try {
      // The HTML page goes beside each case's WAV and pcap: CI shows the evidence where the failure is.
      if (/\.xml$/i.test(r)) writeFileSync(r, junitReport(result, { attachments: () => (page !== undefined ? [resolve(page)] : []) }));
      else if (/\.html?$/i.test(r)) writeReport(r, runReportPage(withEvidence, r));
      else writeFileSync(r, jsonReport(withEvidence));
    } catch (e) {
      ctx.io.err(`umphone: cannot write ${r}: ${(e as Error).message}\n`);
    }
  }
}
