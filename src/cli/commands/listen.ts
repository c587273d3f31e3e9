/**
 * `umphone listen`: gateway mode. The phone waits for calls the way Exchange UM expects of an "IP
 * gateway" (OPTIONS pings answered 200, Play on Phone and notification calls answered), prints each
 * call and its summary, and stops on Ctrl-C (BYE to active calls, WAVs finalized).
 *
 * Addresses: SIP (TCP and UDP) and RTP bind --local-ip, one address or 0.0.0.0 (every IPv4
 * interface). Via, Contact and the SDP c=/o= lines carry the bound address, or with a wildcard the one
 * each caller reached us on, or --advertise when given (NAT, containers): LocalAddresses decides
 * (sip/transport/local-address.ts). Without --local-ip we bind the address that routes to the first
 * --allow entry (Exchange's), else the one that routes to the default gateway, else 127.0.0.1.
 *
 * Sound: an answered call is heard through the sound card and hears the microphone, as with `call`
 * (sound-card.ts decides when, and the card goes to one call at a time).
 */
import { isIP } from 'node:net';
import type { Argv, CommandModule } from 'yargs';
import { applyRealtime, REALTIME_OPTIONS, reportRtpRealtime, rtpEngineChoice, type RealtimeArgv, type RtpEngineChoice } from '../realtime.js';
import { RealClock } from '../../util/clock.js';
import { Phone } from '../../phone/phone.js';
import { openRealTransports, type RealTransports } from '../../phone/real-transports.js';
import { LIVE_INPUT_LEAD_MS } from '../../rtp/rtp-transport.js';
import { Listener, recordPathFor, type ListenerEvent } from '../../phone/listener.js';
import { AddressFilter, AddressFilterError } from '../../phone/address-filter.js';
import type { IncomingCall } from '../../phone/incoming-call.js';
import { followTransfer } from '../../phone/refer.js';
import { describeMessageSummary } from '../../phone/message-summary.js';
import { loadWavForPlayback, type PlaybackAudio } from '../../media/wav/reader.js';
import { parseDtmfSequence, type DtmfModeRequest } from '../../media/dtmf/index.js';
import { codecsOption, dtmfModeOption, durationOption } from '../option-values.js';
import { SRTP_OPTIONS, srtpSettings, type SrtpArgv } from '../srtp-options.js';
import { DurationError, parseDuration } from '../../util/duration.js';
import { contextOf, oneLine, UsageError, type CliIo } from '../context.js';
import { isWildcard } from '../../sip/transport/local-address.js';
import type { OpenedAudio } from '../../media/device/open.js';
import { audioChoice, MEDIA_GROUP, openSoundCard, SOUND_OPTIONS, SoundCardTurns } from '../sound-card.js';
import { ConsoleView } from '../console-view.js';
import { ExitCode } from '../exit-codes.js';
import { formatSummary } from '../summary.js';
import { callReportPage, writeReport } from '../report-file.js';
import { checkCallQuality, parseQualityExpression, type QualityThreshold } from '../../script/quality-thresholds.js';
import { formatTrace } from '../trace.js';
import { readServerTlsFiles, SERVER_TLS_OPTIONS, tlsOptionsWithoutTls, type ServerTlsArgv, type ServerTlsFiles } from '../tls-options.js';

export interface ListenArgv extends ServerTlsArgv, SrtpArgv {
  transport?: 'tcp' | 'tls';
  'tls-require-client-cert'?: boolean;
  'local-ip'?: string;
  advertise?: string;
  port?: number;
  allow?: string;
  'max-calls'?: number;
  /** yargs gives '' for `--auto-answer` alone (a string option, so that "no value" is visible). */
  'auto-answer'?: string | number;
  record?: string;
  'record-both'?: boolean;
  pcap?: string;
  report?: string;
  expect?: string[];
  play?: string;
  loop?: boolean;
  codec?: string;
  dtmf?: string;
  'dtmf-sequence'?: string;
  'follow-refer'?: boolean;
  'rtp-timeout'?: number | string;
  latch?: boolean;
  audio?: boolean;
  'output-device'?: string | number;
  'input-device'?: string | number;
  verbose?: boolean;
  quiet?: boolean;
}

const EXAMPLES = [
  'Examples:',
  '  Be Exchange UM\'s IP gateway on 10.0.0.7:5060, answering its calls at once, one WAV per call:',
  '    umphone listen --local-ip 10.0.0.7 --allow 10.0.0.5 --auto-answer --record "call-{n}.wav"',
  '  Listen on every interface, in a container whose host is 198.51.100.4 for the callers:',
  '    umphone listen --local-ip 0.0.0.0 --advertise 198.51.100.4 --auto-answer',
  '  Ring on the console (a/Enter: answer, r: reject 486), follow transfers:',
  '    umphone listen --port 5070 --follow-refer',
  '  Answer RTP/SAVP offers with SRTP and refuse plain RTP with 488 (Exchange\'s "Secured" media):',
  '    umphone listen --auto-answer --srtp mandatory',
  '  Check every call\'s quality as it ends (a breach makes the exit code 1 when listen stops):',
  '    umphone listen --auto-answer --expect "mos>=4.0" --expect "one_way_audio=false"',
  '  Be a TLS gateway for a SIP Secured dial plan (port 5061, callers must present a certificate of the CA):',
  '    umphone listen --transport tls --tls-cert gw.pem --tls-key gw.key --tls-ca um-ca.pem --tls-require-client-cert --auto-answer',
].join('\n');

const SIP = 'SIP';
const DTMF = 'DTMF';
const MEDIA = MEDIA_GROUP;
const OUTPUT = 'Output';

function builder(y: Argv): Argv<ListenArgv> {
  return y.options({
    ...REALTIME_OPTIONS,
    'local-ip': { group: SIP, type: 'string', describe: 'Address to bind: one, or 0.0.0.0 for all (callers then see the address they reached); default: the one routing to --allow\'s first entry, else to the default gateway' },
    advertise: { group: SIP, type: 'string', describe: 'Address to write in Via, Contact and SDP instead of ours (NAT, containers)' },
    transport: { group: SIP, type: 'string', choices: ['tcp', 'tls'], default: 'tcp', describe: 'tcp: SIP over TCP and UDP; tls: SIP over TLS only (needs --tls-cert and --tls-key)' },
    port: { group: SIP, type: 'number', describe: 'SIP port: 5060 (TCP and UDP), 5061 with --transport tls; 0 = any' },
    allow: { group: SIP, type: 'string', describe: 'Sources allowed, comma-separated addresses or CIDR blocks (10.0.0.5,10.0.0.0/24,fd00::/8); others get 403' },
    'max-calls': { group: SIP, type: 'number', describe: 'Calls at once at most; more get 486 Busy Here' },
    // A string, not a number: yargs turns a number option given without a value into undefined, the
    // same as not given at all, and `--auto-answer` alone must mean "at once".
    'auto-answer': { group: SIP, type: 'string', describe: 'Answer every call, after N seconds (--auto-answer alone: at once). Without a terminal: always on (at once)' },
    'follow-refer': { group: SIP, type: 'boolean', describe: 'On REFER, call the Refer-To target and hang up the transferred call once it answers' },
    record: { group: MEDIA, type: 'string', describe: 'Record each call to this WAV; {n} = call number, {callid} = Call-ID' },
    'record-both': { group: MEDIA, type: 'boolean', describe: 'Record stereo: left = received, right = sent' },
    play: { group: MEDIA, type: 'string', describe: 'Play this WAV into each answered call' },
    loop: { group: MEDIA, type: 'boolean', describe: 'Repeat --play until the call ends' },
    codec: { group: MEDIA, type: 'string', default: 'pcmu,pcma', describe: 'Codecs we accept: pcmu (or ulaw), pcma (or alaw); the caller\'s order decides' },
    'rtp-timeout': { group: MEDIA, type: 'string', describe: 'Hang up when no RTP arrives for N seconds, or 1m, 500ms (default 30, 0 = never)' },
    latch: { group: MEDIA, type: 'boolean', describe: 'Symmetric RTP: send to where the caller\'s RTP comes from' },
    ...SOUND_OPTIONS,
    ...SRTP_OPTIONS,
    dtmf: { group: DTMF, type: 'string', default: 'auto', describe: 'How to send DTMF: auto, rfc4733 (or rfc2833), inband, info' },
    'dtmf-sequence': { group: DTMF, type: 'string', describe: 'Digits to send once a call is answered, "," = 500 ms pause' },
    ...SERVER_TLS_OPTIONS,
    'tls-require-client-cert': { group: 'TLS', type: 'boolean', describe: 'Mutual TLS: refuse callers without a certificate signed by --tls-ca (in the handshake)' },
    pcap: { group: OUTPUT, type: 'string', describe: 'Write each call\'s SIP, RTP and RTCP packets to this pcap; {n} = call number, {callid} = Call-ID' },
    expect: { group: OUTPUT, type: 'string', array: true, describe: 'Quality threshold checked as each call ends, repeatable: "mos>=4.0", "loss<1%", "jitter<30ms", "one_way_audio=false"; a breach prints the figure and makes the exit code 1 when listen stops' },
    report: { group: OUTPUT, type: 'string', describe: 'Write each call\'s HTML call report (records both sides to FILE.wav unless --record); {n} = call number, {callid} = Call-ID' },
    verbose: { group: OUTPUT, alias: 'v', type: 'boolean', describe: 'Print every SIP message sent and received' },
    quiet: { group: OUTPUT, alias: 'q', type: 'boolean', describe: 'Print nothing but errors' },
  }).epilog([
    EXAMPLES,
    '',
    'Sound: an answered call is heard through the sound card and hears the microphone when stdout is a',
    'terminal (not in CI) and a device opens, one call at a time (say --audio or --no-audio to choose).',
  ].join('\n')) as unknown as Argv<ListenArgv>;
}

/**
 * The auto-answer delay in seconds, or undefined when calls ring for the user to answer: `--auto-answer`
 * alone ('') is 0 (at once), `--auto-answer N` is N seconds (N ≥ 0); not given, it is 0 without a
 * terminal (nobody could press a key) and undefined with one. Throws UsageError for anything else.
 */
export function autoAnswerDelay(raw: string | number | undefined, interactive: boolean): number | undefined {
  if (raw === undefined) return interactive ? undefined : 0;
  const text = String(raw).trim();
  if (text === '') return 0;
  try {
    return parseDuration(text, { bareUnit: 's' }) / 1000;
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`--auto-answer takes a number of seconds ≥ 0, or nothing for at once (got "${text}")`);
    throw e;
  }
}

/** The address to bind (see the file comment): --local-ip as given (a wildcard too), else one that routes out. */
export async function listenAddress(localIp: string | undefined, allow: AddressFilter | undefined, allowText: string | undefined): Promise<string> {
  if (localIp !== undefined && isWildcard(localIp) && localIp.includes(':')) {
    // A dual-stack socket sees IPv4 callers as ::ffff:a.b.c.d and must send to them that way, which
    // neither the SIP UDP transport nor the RTP engines do yet.
    throw new UsageError(`--local-ip ${localIp} is not supported yet: use 0.0.0.0 (every IPv4 interface) or one IPv6 address`);
  }
  if (localIp !== undefined) return localIp;
  const first = allow && !allow.empty ? allowText!.split(',')[0]!.split('/')[0]!.trim() : undefined;
  for (const probe of [first, '192.0.2.1'].filter((p): p is string => p !== undefined)) {
    try {
      return await Phone.localIpFor(probe);
    } catch {
      // no route: try the next
    }
  }
  return '127.0.0.1';
}

/** --advertise: an IP address callers can reach, so never a wildcard (a host name would not do in SDP c= for most peers). */
export function advertisedAddress(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const a = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(a) === 0) throw new UsageError(`--advertise takes an IP address (got "${text}")`);
  if (isWildcard(a)) throw new UsageError(`--advertise ${text} cannot be advertised in Contact and SDP: give the address callers reach (e.g. --advertise 198.51.100.4)`);
  return a;
}

export async function runListen(a: ListenArgv, io: CliIo, rtp: RtpEngineChoice = {}): Promise<number> {
  const view = new ConsoleView(io, { quiet: a.quiet ?? false, statusLine: false });
  const fail = (code: number, text: string): number => {
    view.error(`umphone: ${oneLine(text)}`);
    return code;
  };
  let allow: AddressFilter | undefined;
  let play: PlaybackAudio | undefined;
  let localIp: string;
  let dtmfMode: DtmfModeRequest;
  let advertise: string | undefined;
  let srtp: ReturnType<typeof srtpSettings> = { srtp: 'off' };
  let expect: QualityThreshold[] = [];
  const interactive = io.rawInput !== undefined && io.stdoutIsTTY;
  let autoAnswer: number | undefined;
  let rtpTimeoutMs: number | undefined;
  let tlsFiles: ServerTlsFiles | undefined;
  const useTls = a.transport === 'tls';
  try {
    if (useTls) tlsFiles = readServerTlsFiles(a, '--transport tls');
    else {
      const stray = tlsOptionsWithoutTls(a);
      if (stray) throw new UsageError(`${stray}: TLS is for --transport tls`);
    }
    if (a['tls-require-client-cert'] && a['tls-ca'] === undefined) throw new UsageError('--tls-require-client-cert needs --tls-ca (the CA that signs the callers\' certificates)');
    autoAnswer = autoAnswerDelay(a['auto-answer'], interactive);
    dtmfMode = dtmfModeOption(a.dtmf);
    rtpTimeoutMs = durationOption('rtp-timeout', a['rtp-timeout'], { unit: 's', check: () => true, says: 'a number of seconds ≥ 0 (0 = never)' });
    if (a.allow !== undefined) allow = AddressFilter.parse(a.allow);
    if (a['max-calls'] !== undefined && !(Number.isInteger(a['max-calls']) && a['max-calls'] >= 1)) throw new UsageError('--max-calls must be a whole number ≥ 1');
    if (a.port !== undefined && !(Number.isInteger(a.port) && a.port >= 0 && a.port <= 65535)) throw new UsageError('--port must be a port number 0-65535');
    if (a['dtmf-sequence'] !== undefined) parseDtmfSequence(a['dtmf-sequence']);
    if (a['record-both'] && !a.record) throw new UsageError('--record-both needs --record FILE');
    srtp = srtpSettings(a);
    expect = (a.expect ?? []).map((e) => {
      const t = parseQualityExpression(String(e));
      if ('error' in t) throw new UsageError(`bad --expect: ${t.error}`);
      return t;
    });
    if (a.pcap !== undefined && a.pcap.trim() === '') throw new UsageError('--pcap needs a file name');
    if (a.report !== undefined && !/\.html?$/i.test(a.report)) throw new UsageError(`--report ${a.report}: the report is an HTML page, name it .html`);
    if (a.play !== undefined) play = await loadWavForPlayback(a.play);
    advertise = advertisedAddress(a.advertise);
    localIp = await listenAddress(a['local-ip'], allow, a.allow);
  } catch (e) {
    return fail(ExitCode.usage, e instanceof UsageError || e instanceof AddressFilterError ? (e as Error).message : `bad option: ${(e as Error).message}`);
  }
  const codecs = codecsOption(a.codec);
  const clock = new RealClock();
  const audio: OpenedAudio | undefined = await openSoundCard({
    audio: audioChoice(a.audio),
    ...(a['output-device'] !== undefined ? { outputDevice: a['output-device'] } : {}),
    ...(a['input-device'] !== undefined ? { inputDevice: a['input-device'] } : {}),
  }, io, clock, (line) => view.error(line));
  const sound = new SoundCardTurns<IncomingCall>(audio);

  let transports: RealTransports;
  const port = a.port ?? (useTls ? 5061 : 5060);
  try {
    // --port 0: let TCP pick and UDP take the same number.
    transports = await openRealTransports({
      localIp, ...(advertise !== undefined ? { advertise } : {}), ...(port === 0 ? {} : { localPort: port }), clock, ...rtp,
      ...(audio ? { rtpLeadMs: LIVE_INPUT_LEAD_MS } : {}), // the sound card's microphone is live: a short lookahead
      ...(tlsFiles ? { tlsOnly: true, tls: { ...tlsFiles, port, requestClientCert: a['tls-require-client-cert'] ?? false } } : {}),
    });
  } catch (e) {
    await audio?.close();
    return fail(ExitCode.transport, `cannot listen on ${localIp}:${port}: ${(e as Error).message}`);
  }
  // A TLS peer that fails its handshake, stalls or resets is dropped alone: one line says so.
  for (const t of transports.sip) if (t.protocol === 'tls') t.onError((e) => view.error(`umphone: ${oneLine(e.message)}`));
  const phone = new Phone(transports, {
    localIp,
    ...(a.verbose ? { onTrace: (e) => view.block(formatTrace(e, { color: io.stdoutIsTTY })), log: (line: string) => view.line(`· ${line}`) } : {}),
  });
  reportRtpRealtime(transports.media, io);
  const mediaOptions = {
    codecs, dtmf: { mode: dtmfMode }, latch: a.latch ?? false, ...srtp,
    ...(rtpTimeoutMs !== undefined ? { rtpTimeout: rtpTimeoutMs } : {}),
  };
  const listener = new Listener(phone, {
    ...(allow ? { allow } : {}),
    ...(a['max-calls'] !== undefined ? { maxCalls: a['max-calls'] } : {}),
    ...(autoAnswer !== undefined ? { autoAnswer: autoAnswer * 1000 } : {}),
    answerOptions: (n, callId) => ({
      ...mediaOptions,
      ...(a.record ? { record: recordPathFor(a.record, n, callId), recordBoth: a['record-both'] ?? false } : {}),
      // The page plays the call: without --record, --report records both sides beside itself.
      ...(!a.record && a.report ? { record: recordPathFor(a.report.replace(/\.html?$/i, '.wav'), n, callId), recordBoth: true } : {}),
      ...(play ? { play, loop: a.loop ?? false } : {}),
    }),
    atAnswer: (call) => sound.take(call),
    ...(a.pcap !== undefined ? { pcap: a.pcap } : {}),
    ...(a.report !== undefined ? { evidence: true } : {}),
  });
  const ringing: IncomingCall[] = [];
  const numbers = new Map<IncomingCall, number>();
  listener.onEvent((e: ListenerEvent) => {
    if (e.type === 'refused') view.error(`umphone: ${e.method} from ${e.source} refused with ${e.status}: ${e.why}`);
    else if (e.type === 'voicemail') view.line(`${e.summary.account ?? e.source}: ${describeMessageSummary(e.summary)}`);
    else if (e.type === 'call') {
      numbers.set(e.call, e.n);
      watchCall(e.n, e.call);
    }
  });
  listener.onCall((call) => {
    if (autoAnswer === undefined) {
      ringing.push(call);
      view.line(`call ${numbers.get(call)} ringing: a or Enter answers, r rejects (486)`);
      void call.ended.then(() => {
        const i = ringing.indexOf(call);
        if (i >= 0) ringing.splice(i, 1);
      });
    }
  });

  let breaches = 0;
  const watchCall = (n: number, call: IncomingCall): void => {
    const tag = `call ${n}`;
    view.line(`${tag} from ${call.fromName ? `"${call.fromName}" ` : ''}${call.from} to ${call.requestUri} (${call.source.protocol.toUpperCase()} ${call.source.address}:${call.source.port})`);
    call.onEvent((e) => {
      if (e.type === 'answered') {
        view.line(`${tag} answered: ${e.codec}, RTP to ${e.remote}`);
        const holder = sound.current;
        if (audio && holder !== call) view.line(`${tag} has no sound: the sound card is with call ${holder ? numbers.get(holder) : '?'}`);
        if (a['dtmf-sequence']) void call.sendDtmf(a['dtmf-sequence']).catch((err: Error) => view.error(`umphone: ${tag}: DTMF: ${err.message}`));
      } else if (e.type === 'digit') view.line(`${tag} received DTMF ${e.digit.digit} (${e.digit.method})`);
      else if (e.type === 'warning') view.error(`umphone: ${tag}: warning: ${e.message}`);
      else if (e.type === 'hold') view.line(`${tag} ${e.onHold ? 'put on hold' : 'resumed'} by the caller`);
      else if (e.type === 'voicemail') view.line(`${tag}: ${describeMessageSummary(e.summary)}`);
      else if (e.type === 'transfer') {
        view.line(`${tag} transfer requested to ${e.transfer.target}${e.transfer.referredBy ? ` by ${e.transfer.referredBy}` : ''}`);
        if (a['follow-refer']) {
          const next = followTransfer(e.transfer, (target) => phone.dial(target, { ...mediaOptions }), () => call.hangup());
          next.onEvent((ne) => {
            if (ne.type === 'answered') view.line(`${tag} transfer to ${e.transfer.target} answered`);
            if (ne.type === 'digit') view.line(`${tag} (transferred) received DTMF ${ne.digit.digit}`);
          });
          void next.ended.then((s) => view.block(formatSummary(s, { title: `Call ${n} transfer summary` })));
        }
      }
    });
    void call.ended.then((s) => {
      view.block(formatSummary(s, { title: `Call ${n} summary (from ${call.from})` }));
      if (expect.length > 0 && s.answeredAtMs !== undefined) {
        for (const o of checkCallQuality(expect, s.quality)) {
          if (o.ok) view.line(`${tag} ✓ ${o.message}`);
          else {
            breaches++;
            view.error(`umphone: ${tag}: quality: ${o.message}`);
          }
        }
      }
      const report = a.report;
      if (report === undefined || !call.evidence) return;
      // Once the evidence has the answer to the BYE (or 2 s after the end).
      void listener.evidenceComplete(call).then(() => {
        const path = recordPathFor(report, n, call.callId);
        try {
          writeReport(path, callReportPage({ ...s, evidence: call.evidence!.toJSON() }, path));
          view.line(`${tag} report: ${path}`);
        } catch (err) {
          view.error(`umphone: ${tag}: --report ${path}: ${(err as Error).message}`);
        }
      });
    });
  };

  const tlsPort = transports.sip.find((t) => t.protocol === 'tls')?.local.port;
  const tcpPort = transports.sip.find((t) => t.protocol === 'tcp')?.local.port;
  const udpPort = transports.sip.find((t) => t.protocol === 'udp')?.local.port;
  const ports = useTls
    ? `${tlsPort} (TLS${a['tls-require-client-cert'] ? ', client certificate required' : ''})`
    : udpPort === undefined || udpPort === tcpPort ? `${tcpPort} (TCP and UDP)` : `${tcpPort} (TCP; UDP ${udpPort})`;
  const advertising = advertise !== undefined ? `, advertising ${advertise}` : isWildcard(localIp) ? ', advertising to each caller the address it reached' : '';
  view.line(`listening on ${localIp}:${ports}${advertising}${allow ? `, allowing ${allow.toString()}` : ''}; Ctrl-C stops`);
  const disposers: Array<() => void> = [];
  if (interactive) {
    disposers.push(io.rawInput!.start((chunk) => {
      for (const ch of chunk) {
        if (ch === '\u0003') return void stop();
        const call = ringing.shift();
        if (!call) continue;
        if (ch === 'a' || ch === '\r' || ch === '\n') void call.answer(sound.take(call)).catch((err: Error) => view.error(`umphone: ${err.message}`));
        else if (ch === 'r') call.reject({ status: 486, reason: 'Busy Here' });
        else ringing.unshift(call);
      }
    }));
  }
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return io.exitNow(ExitCode.interrupted);
    stopping = true;
    view.line('stopping: hanging up active calls');
    await listener.close();
    resolveStopped();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) disposers.push(io.onSignal(sig, () => void stop()));
  await stopped;
  for (const d of disposers) d();
  await phone.close().catch(() => undefined);
  await audio?.close().catch(() => undefined);
  if (breaches > 0) view.error(`umphone: ${breaches} quality threshold(s) broken (--expect)`);
  return breaches > 0 ? ExitCode.callFailed : ExitCode.ok;
}

export const listenCommand: CommandModule<object, ListenArgv> = {
  command: 'listen',
  describe: 'Wait for calls (gateway mode for Exchange UM): answer OPTIONS, answer or ring, record, follow REFER',
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv);
    const rtp = rtpEngineChoice(argv as RealtimeArgv);
    await applyRealtime(argv as RealtimeArgv, ctx.io);
    ctx.exitCode = await runListen(argv, ctx.io, rtp);
  },
};
