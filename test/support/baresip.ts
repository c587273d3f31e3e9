/**
 * baresip 1.0.0 as a real peer in interop tests: one child per instance with its own config folder,
 * listening on 127.0.0.1 only, auto-answering as sip:uas@127.0.0.1:PORT, playing a WAV as its
 * microphone (aufile), recording each call as WAVs (sndfile) and driven as a caller through ctrl_tcp
 * (netstring-framed JSON commands: dial, sndcode, hangup).
 *
 * Traps (more in docs/peers.md):
 * - auto-answer needs the menu module and answermode=auto on the account line;
 * - `net_interface lo` fails in this sandbox: net_interface 127.0.0.1, dns_server 127.0.0.1:53;
 * - no sound card: aufile as the source and no player module; sndfile writes `...-dec.wav` (received)
 *   and `...-enc.wav` (sent) into snd_path; the dec file has no samples while DTMF events played;
 * - the stdio module wants a terminal on fd 0 ("epoll_ctl ... Operation not permitted"): not loaded;
 * - received RFC 4733 digits are logged as `received event: 'X' (end=0|1)`.
 * - `-t N` quits after N seconds: the safety net against an orphaned baresip.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { pollUntil, spawnTracked, type ExitInfo, type TrackedChild } from './child-process.js';
import { freePortRange, freeSipPort, freeTcpPort, isPortBound } from './ports.js';

export interface BaresipOptions {
  /** Transport of the account's AOR and of calls it places (it listens on UDP and TCP either way). */
  transport?: 'udp' | 'tcp';
  /** SIP port on 127.0.0.1 (UDP and TCP); a free one when omitted. */
  sipPort?: number;
  /** User part of the account (default 'uas'). */
  user?: string;
  /** Answer incoming calls at once (default true). */
  autoAnswer?: boolean;
  /** WAV (8 kHz mono 16-bit is best) baresip sends as its microphone; null/omitted: silence. */
  audioSource?: string | null;
  /** Folder for sndfile recordings; a new temp folder when omitted. */
  recordDir?: string;
  /** ctrl_tcp port; a free one when omitted. */
  ctrlTcpPort?: number;
  /** Codecs in order (default PCMU,PCMA). */
  audioCodecs?: string;
  /** Extra config lines appended verbatim. */
  extraConfig?: string[];
  /** Extra account parameters appended to the account line (e.g. ';ptime=20'). */
  extraAccountParams?: string;
  /** baresip quits on its own after this (its -t); default 120 s. */
  lifetimeMs?: number;
  /** Pass -v (debug logs). */
  verbose?: boolean;
  /** Environment for the child (e.g. PULSE_SERVER). */
  env?: NodeJS.ProcessEnv;
}

export interface CtrlResponse {
  response: true;
  ok: boolean;
  data?: string;
  token?: string;
}

export interface CtrlEvent {
  event: true;
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  param?: string;
  [key: string]: unknown;
}

export interface BaresipHandle {
  readonly child: TrackedChild;
  readonly sipPort: number;
  readonly ctrlTcpPort: number;
  readonly configDir: string;
  readonly recordDir: string;
  /** The account's AOR, e.g. sip:uas@127.0.0.1:PORT;transport=tcp (what a caller dials). */
  readonly uri: string;
  /** 'host:port' of its SIP listener. */
  readonly address: string;
  /** Its stdout+stderr lines so far, ANSI colours removed. */
  logLines(): string[];
  waitForLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Digits whose RFC 4733 end was logged (`received event: 'X' (end=1)`), one per digit, in order. */
  receivedDigits(): string;
  /** The sndfile WAVs in recordDir (full paths), split by direction. */
  recordings(): { dec: string[]; enc: string[] };
  /** ctrl_tcp events received so far (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, ...). */
  events(): CtrlEvent[];
  waitForEvent(type: string, timeoutMs?: number): Promise<CtrlEvent>;
  /** Send a ctrl_tcp command (a menu command name and its parameter string) and await its response. */
  command(command: string, params?: string): Promise<CtrlResponse>;
  dial(uri: string): Promise<CtrlResponse>;
  /** Send one DTMF digit (RFC 4733 on a call that negotiated telephone-event). */
  sendDtmf(digit: string): Promise<CtrlResponse>;
  hangup(): Promise<CtrlResponse>;
  stop(): Promise<ExitInfo>;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * Start baresip. Ports are picked free, but another process (a parallel test file) may take one between
 * the check and baresip's bind: such a start is retried with fresh ports, up to three times.
 */
export async function startBaresip(opts: BaresipOptions = {}): Promise<BaresipHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBaresipOnce(opts);
    } catch (e) {
      const portClash = /Address already in use|to listen on SIP and ctrl_tcp/.test((e as Error).message);
      const fixedPorts = opts.sipPort !== undefined && opts.ctrlTcpPort !== undefined;
      if (!portClash || fixedPorts || attempt >= 3) throw e;
    }
  }
}

async function startBaresipOnce(opts: BaresipOptions): Promise<BaresipHandle> {
  const transport = opts.transport ?? 'udp';
  const sipPort = opts.sipPort ?? (await freeSipPort());
  const ctrlTcpPort = opts.ctrlTcpPort ?? (await freeTcpPort());
  const rtpBase = await freePortRange(8, 'udp', 2);
  const configDir = mkdtempSync(join(tmpdir(), 'umphone-baresip-'));
  const recordDir = opts.recordDir ?? join(configDir, 'recordings');
  mkdirSync(recordDir, { recursive: true });
  const user = opts.user ?? 'uas';
  const tp = transport === 'tcp' ? ';transport=tcp' : '';
  const uri = `sip:${user}@127.0.0.1:${sipPort}${tp}`;

  // No source given: a WAV of silence, so baresip still sends a steady RTP stream.
  const source = opts.audioSource ? resolvePath(opts.audioSource) : join(configDir, 'silence.wav');
  if (!opts.audioSource) writeSilentWav(source, 8000 * 30);

  const config = [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'call_local_timeout 120',
    'call_max_calls 4',
    `audio_source aufile,${source}`,
    'audio_player none,none',
    'audio_alert none,none',
    'ausrc_srate 8000',
    'auplay_srate 8000',
    'ausrc_channels 1',
    'auplay_channels 1',
    `rtp_ports ${rtpBase}-${rtpBase + 7}`,
    'rtcp_mux no',
    'jitter_buffer_delay 1-10',
    'net_interface 127.0.0.1',
    'dns_server 127.0.0.1:53',
    `ctrl_tcp_listen 127.0.0.1:${ctrlTcpPort}`,
    `snd_path ${recordDir}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module sndfile.so',
    'module_tmp account.so',
    'module_app contact.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    ...(opts.extraConfig ?? []),
    '',
  ].join('\n');
  writeFileSync(join(configDir, 'config'), config);
  const answer = opts.autoAnswer === false ? 'manual' : 'auto';
  writeFileSync(
    join(configDir, 'accounts'),
    `<${uri}>;regint=0;answermode=${answer};audio_codecs=${opts.audioCodecs ?? 'PCMU,PCMA'}${opts.extraAccountParams ?? ''}\n`,
  );
  writeFileSync(join(configDir, 'contacts'), '');

  const lifetime = Math.ceil((opts.lifetimeMs ?? 120_000) / 1000);
  const args = ['-f', configDir, '-t', String(lifetime), ...(opts.verbose ? ['-v'] : [])];
  const child = spawnTracked('baresip', args, { cwd: configDir, env: opts.env ?? process.env });
  const lines: string[] = [];
  child.onLine((l) => lines.push(l.replace(ANSI, '')));

  const describe = (): string => `baresip ${args.join(' ')}\n${lines.slice(-40).join('\n')}`;
  try {
    await pollUntil(
      'baresip to listen on SIP and ctrl_tcp',
      async () =>
        child.hasExited() || ((await isPortBound(sipPort, 'udp')) && (await isPortBound(ctrlTcpPort, 'tcp'))),
      8000,
    );
  } catch (e) {
    await child.kill(500);
    throw new Error(`${(e as Error).message}\n${describe()}`);
  }
  if (child.hasExited()) throw new Error(`baresip exited at start.\n${describe()}`);

  const ctrl = await connectCtrl(ctrlTcpPort);

  const handle: BaresipHandle = {
    child,
    sipPort,
    ctrlTcpPort,
    configDir,
    recordDir,
    uri,
    address: `127.0.0.1:${sipPort}`,
    logLines: () => [...lines],
    waitForLog: (re, timeoutMs = 5000) =>
      pollUntil(`baresip log line matching ${String(re)}\n${describe()}`, () => {
        for (const l of lines) {
          const m = l.match(re);
          if (m) return m;
        }
        return undefined;
      }, timeoutMs),
    receivedDigits: () => {
      let out = '';
      for (const l of lines) {
        const m = /received event: '(.)' \(end=1\)/.exec(l);
        if (m) out += m[1];
      }
      return out;
    },
    recordings: () => {
      const files = readdirSync(recordDir)
        .filter((f) => f.endsWith('.wav'))
        .sort()
        .map((f) => join(recordDir, f));
      return { dec: files.filter((f) => f.endsWith('-dec.wav')), enc: files.filter((f) => f.endsWith('-enc.wav')) };
    },
    events: () => [...ctrl.events],
    waitForEvent: (type, timeoutMs = 5000) =>
      pollUntil(`baresip ctrl_tcp event ${type}\n${describe()}`, () => ctrl.events.find((e) => e.type === type), timeoutMs),
    command: (command, params) => ctrl.send(command, params),
    dial: (target) => ctrl.send('dial', target),
    sendDtmf: (digit) => ctrl.send('sndcode', digit),
    hangup: () => ctrl.send('hangup'),
    stop: async () => {
      ctrl.close();
      return child.kill(1500);
    },
  };
  return handle;
}

/** A mono 8 kHz 16-bit WAV of `samples` zeros (baresip's audio source for calls that only need RTP). */
export function writeSilentWav(path: string, samples: number): void {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + samples * 2, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(samples * 2, 40);
  writeFileSync(path, Buffer.concat([h, Buffer.alloc(samples * 2)]));
}

interface Ctrl {
  events: CtrlEvent[];
  send(command: string, params?: string): Promise<CtrlResponse>;
  close(): void;
}

/** ctrl_tcp speaks netstrings ("LEN:payload,") carrying JSON, both ways. */
function connectCtrl(port: number): Promise<Ctrl> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const events: CtrlEvent[] = [];
    const waiting = new Map<string, (r: CtrlResponse) => void>();
    let buf = Buffer.alloc(0);
    let token = 0;
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const colon = buf.indexOf(0x3a);
        if (colon < 0) break;
        const len = Number(buf.subarray(0, colon).toString('ascii'));
        if (!Number.isInteger(len) || buf.length < colon + 1 + len + 1) break;
        const text = buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
        buf = buf.subarray(colon + 1 + len + 1);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (msg['event'] === true) events.push(msg as CtrlEvent);
        else if (msg['response'] === true) {
          const t = String(msg['token'] ?? '');
          const fn = waiting.get(t);
          waiting.delete(t);
          fn?.(msg as unknown as CtrlResponse);
        }
      }
    });
    sock.once('error', reject);
    sock.once('connect', () => {
      sock.off('error', reject);
      sock.on('error', () => {
        // baresip went away: pending commands are answered by the close handler
      });
      sock.on('close', () => {
        for (const [t, fn] of waiting) fn({ response: true, ok: false, data: 'ctrl_tcp connection closed', token: t });
        waiting.clear();
      });
      resolve({
        events,
        send: (command, params) =>
          new Promise((res) => {
            const t = String(++token);
            waiting.set(t, res);
            const body = JSON.stringify({ command, ...(params !== undefined ? { params } : {}), token: t });
            sock.write(`${Buffer.byteLength(body)}:${body},`);
          }),
        close: () => sock.destroy(),
      });
    });
  });
}
