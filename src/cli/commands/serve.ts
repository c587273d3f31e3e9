/**
 * `umphone serve`: run the built-in Exchange-UM-like voicemail server (src/um/server.ts) until Ctrl-C.
 * Every SIP message and menu step goes to `<data-dir>/um-server.log`; the console shows calls and
 * menu steps, and with -v every SIP message in full.
 */
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { applyRealtime, engineLine, REALTIME_OPTIONS, reportRtpRealtime, rtpEngineChoice, type RealtimeArgv, type RtpEngineChoice } from '../realtime.js';
import { RealClock } from '../../util/clock.js';
import { UmServer } from '../../um/server.js';
import { DEFAULT_MENUS_YAML } from '../../um/default-menus.js';
import { MenuConfigError, parseMenuConfig } from '../../um/menu-config.js';
import { PromptMissingError } from '../../um/prompt-library.js';
import { formatEntry, type UmLogEntry } from '../../um/sip-log.js';
import { contextOf, oneLine, type CliIo } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatTrace } from '../trace.js';
import { readServerTlsFiles, SERVER_TLS_OPTIONS, tlsOptionsWithoutTls, type ServerTlsArgv } from '../tls-options.js';
import { defaultPorts, UM_SECURITY_MODES, type UmSecurity, type UmTlsOptions } from '../../um/security.js';
import { UsageError } from '../context.js';

export interface ServeArgv extends ServerTlsArgv {
  port?: number;
  'worker-port'?: number;
  'um-service-port'?: number;
  security: UmSecurity;
  'tls-peer-name'?: string[];
  address: string;
  menus?: string;
  'data-dir': string;
  'redirect-hops': number;
  'print-menus'?: boolean;
  verbose?: boolean;
}

const EXAMPLES = [
  'Examples:',
  '  Exchange 2010-like on the default ports (5060 → 302 → worker 5065), loopback only:',
  '    umphone serve',
  '  Exchange 2013-like (call router 5060 → UM service 5062 → worker 5065), reachable from the LAN, every SIP message:',
  '    umphone serve --address 10.0.0.7 --redirect-hops 2 -v',
  '  Your own menus (start from the built-in ones):',
  '    umphone serve --print-menus > menus.yaml && umphone serve --menus menus.yaml',
  '  Exchange "SIP Secured" dial plan (mutual TLS 5061 → 302 transport=TLS → worker 5066, RTP), one trusted gateway:',
  '    umphone serve --security sip-secured --tls-cert um.pem --tls-key um.key --tls-ca gateways-ca.pem --tls-peer-name gw1.contoso.com',
  '  Exchange "Secured" dial plan (the same, SRTP mandatory: plain-RTP offers get 488):',
  '    umphone serve --security secured --tls-cert um.pem --tls-key um.key --tls-ca gateways-ca.pem',
].join('\n');

function builder(y: Argv): Argv<ServeArgv> {
  return y.options({
      ...REALTIME_OPTIONS,
    port: { type: 'number', describe: 'Port of the front (UM service, or call router with --redirect-hops 2): 5060 TCP, 5061 TLS by default; 0 = any' },
    'worker-port': { type: 'number', describe: 'Port of the worker the 302 points to: 5065 TCP, 5066 TLS by default; 0 = any' },
    'um-service-port': { type: 'number', describe: 'With --redirect-hops 2: port of the UM service behind the call router: 5062 TCP, 5063 TLS by default' },
    security: {
      type: 'string', choices: UM_SECURITY_MODES, default: 'unsecured',
      describe: 'The dial plan\'s VoIP security, as Exchange: unsecured (TCP, RTP), sip-secured (mutual TLS, RTP), secured (mutual TLS, SRTP mandatory: 488 to plain-RTP offers)',
    },
    ...SERVER_TLS_OPTIONS,
    'tls-peer-name': {
      group: 'TLS', type: 'string', array: true,
      describe: 'A gateway\'s FQDN (Exchange\'s UM IP gateway address): TLS callers whose certificate names none of these (CN or SAN) get 403; repeat or comma-separate. Default: any certificate --tls-ca verifies',
    },
    address: { type: 'string', default: '127.0.0.1', describe: 'Address to listen on and to advertise (Contact, maddr, SDP); loopback by default' },
    menus: { type: 'string', describe: 'Menus YAML (default: the built-in menus, see --print-menus)' },
    'data-dir': { type: 'string', default: './um-data', describe: 'Where mailboxes (WAV messages) and the server log are kept' },
    'redirect-hops': { type: 'number', default: 1, choices: [1, 2], describe: '1: Exchange 2007/2010 (one 302); 2: Exchange 2013+ (two 302s)' },
    'print-menus': { type: 'boolean', describe: 'Print the built-in menus YAML and exit' },
    verbose: { type: 'boolean', alias: 'v', describe: 'Print every SIP message in full' },
  }).epilogue(EXAMPLES) as unknown as Argv<ServeArgv>;
}

export async function runServe(a: ServeArgv, io: CliIo, rtp: RtpEngineChoice = {}): Promise<number> {
  if (a['print-menus']) {
    io.out(DEFAULT_MENUS_YAML);
    return ExitCode.ok;
  }
  let menus;
  try {
    menus = a.menus ? parseMenuConfig(readFileSync(a.menus, 'utf8'), a.menus) : parseMenuConfig();
  } catch (e) {
    io.err(`umphone: ${oneLine((e as Error).message)}\n`);
    return ExitCode.usage;
  }
  const security: UmSecurity = a.security ?? 'unsecured';
  let tls: UmTlsOptions | undefined;
  try {
    for (const [name, v] of [['port', a.port], ['worker-port', a['worker-port']], ['um-service-port', a['um-service-port']]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 65535)) throw new UsageError(`--${name} must be a port number 0-65535`);
    }
    if (security === 'unsecured') {
      const stray = tlsOptionsWithoutTls(a);
      if (stray) throw new UsageError(`${stray}: TLS is for --security sip-secured or secured`);
    } else {
      const files = readServerTlsFiles(a, `--security ${security}`);
      const peerNames = (a['tls-peer-name'] ?? []).flatMap((n) => String(n).split(',')).map((n) => n.trim()).filter((n) => n !== '');
      tls = { ...files, ...(peerNames.length > 0 ? { peerNames } : {}) };
    }
  } catch (e) {
    io.err(`umphone: ${oneLine((e as Error).message)}\n`);
    return ExitCode.usage;
  }
  const ports = defaultPorts(security);
  const dataDir = resolve(a['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'um-server.log');
  const clock = new RealClock();
  // One buffered stream, not a synchronous append per line: with hundreds of calls every SIP message
  // and menu step is a line, and a write per line held the event loop (and so every call's RTP).
  const logStream = createWriteStream(logFile, { flags: 'a' });
  // A full disk must not take the server down: the log stops, the calls go on.
  logStream.on('error', () => undefined);
  const log = (e: UmLogEntry): void => {
    const stamp = new Date(clock.wallNow()).toISOString();
    if (logStream.writable) logStream.write(`${stamp} ${formatEntry(e, true)}\n`);
    if (e.kind === 'sip') {
      if (a.verbose && e.trace) io.out(`[${e.role}] ${formatTrace(e.trace, { color: io.stdoutIsTTY })}`);
      return;
    }
    io.out(`${stamp.slice(11, 23)} ${formatEntry(e, false)}\n`);
  };
  let server: UmServer;
  try {
    server = await UmServer.start({
      address: a.address, port: a.port ?? ports.front, workerPort: a['worker-port'] ?? ports.worker, umServicePort: a['um-service-port'] ?? ports.umService,
      redirectHops: a['redirect-hops'] === 2 ? 2 : 1, menus, dataDir, clock, log, security, ...(tls ? { tls } : {}), ...rtp,
    });
    reportRtpRealtime(server.rtp, io);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    io.err(`umphone: cannot start the UM server: ${oneLine(err.message)}\n`);
    logStream.end();
    return e instanceof MenuConfigError || e instanceof PromptMissingError ? ExitCode.usage : ExitCode.transport;
  }
  io.out(`umphone serve: pilot ${server.pilotUri}; log ${logFile}; Ctrl-C stops\n`);
  await new Promise<void>((done) => {
    const offs = (['SIGINT', 'SIGTERM'] as const).map((sig) => io.onSignal(sig, () => {
      for (const off of offs) off();
      done();
    }));
  });
  io.out('umphone serve: stopping (BYE to calls in progress)\n');
  const sent = server.rtp.engine ? engineLine(server.rtp.engine.stats()) : undefined;
  if (sent) io.out(`umphone serve: ${sent}\n`);
  await server.close();
  await new Promise<void>((r) => logStream.end(() => r()));
  return ExitCode.ok;
}

export const serveCommand: CommandModule<object, ServeArgv> = {
  command: 'serve',
  describe: 'Run a built-in Exchange-UM-like voicemail server (302 to a worker, menus, mailboxes)',
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv);
    const rtp = rtpEngineChoice(argv as RealtimeArgv);
    await applyRealtime(argv as RealtimeArgv, ctx.io);
    ctx.exitCode = await runServe(argv, ctx.io, rtp);
  },
};
