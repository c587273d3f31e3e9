/**
 * `umphone serve`: a small voicemail server that behaves like Exchange UM on the wire.
 *
 *   redirectHops 1 (Exchange 2007/2010):  caller ─INVITE→ UM service :5060 ─302→ worker :5065 ─200→ menus
 *   redirectHops 2 (Exchange 2013+):      caller ─INVITE→ call router :5060 ─302→ UM service :5062
 *                                                ─302→ worker :5065 ─200→ menus
 *
 *   const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: 'um-data' });
 *   server.pilotUri;   // sip:6000@127.0.0.1:PORT;transport=tcp
 *   await server.close();
 *
 * With `security: 'sip-secured'` or `'secured'` (Exchange's dial plan VoIP security, security.ts) every
 * hop listens on mutual TLS instead (default ports 5061, 5063, 5066) and `tls` gives the certificate.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RealClock, type Clock } from '../util/clock.js';
import { MailboxStore } from './mailbox-store.js';
import { parseMenuConfig, promptsUsed, type MenuConfig } from './menu-config.js';
import { PromptLibrary, packageRoot } from './prompt-library.js';
import { Redirector } from './redirector.js';
import type { UmLogSink } from './sip-log.js';
import { UmWorker } from './worker.js';
import { TcpTransport } from '../sip/transport/tcp.js';
import { TlsTransport } from '../sip/transport/tls.js';
import { defaultPorts, type UmSecurity, type UmTlsOptions } from './security.js';
import type { SipTransport } from '../sip/transport/transport.js';
import { createRtpTransport, type RtpEngineMode, type RtpTransport } from '../rtp/rtp-transport.js';

export interface UmServerOptions {
  /** Listen address (default 127.0.0.1: loopback unless asked). */
  address?: string;
  /** Front port (default 5060, 5061 in the secured modes; 0 = any free port). */
  port?: number;
  /** Worker port (default 5065, TLS 5066; 0 = any free port). */
  workerPort?: number;
  /** With redirectHops 2: the UM service behind the call router (default 5062, TLS 5063; 0 = any). */
  umServicePort?: number;
  /** Exchange's dial plan VoIP security (default 'unsecured': TCP and RTP). */
  security?: UmSecurity;
  /** The certificate and the gateways' CA and names; required unless unsecured. */
  tls?: UmTlsOptions;
  redirectHops?: 1 | 2;
  /** Menus: a parsed config, or the path of a YAML file; default the built-in menus. */
  menus?: MenuConfig | string;
  /** Where mailboxes are kept (default ./um-data). */
  dataDir?: string;
  /** The package folder holding audio/ (default: found from this module). */
  root?: string;
  rtpPortRange?: { min: number; max: number };
  /** The RTP engine of every call (rtp-transport.ts); default UMPHONE_RTP_ENGINE, else native where it is built. */
  rtpEngine?: RtpEngineMode;
  /** SCHED_FIFO priority for the native RTP I/O thread (it runs one above it, see RtpIoEngine.realtime). */
  rtpRealtimePriority?: number;
  clock?: Clock;
  log?: UmLogSink;
}

export class UmServer {
  private constructor(
    /** The RTP engine of the worker's calls (its mode, a refused realtime priority). */
    readonly rtp: RtpTransport,
    readonly address: string,
    readonly config: MenuConfig,
    readonly store: MailboxStore,
    readonly worker: UmWorker,
    /** Front first: [call router, UM service] or [UM service]. */
    readonly fronts: Redirector[],
    /** Exchange's dial plan VoIP security the server runs in. */
    readonly security: UmSecurity = 'unsecured',
  ) {}

  /** 'tls' in the secured modes, else 'tcp'. */
  get transport(): 'tcp' | 'tls' {
    return this.security === 'unsecured' ? 'tcp' : 'tls';
  }

  static async start(o: UmServerOptions = {}): Promise<UmServer> {
    const clock = o.clock ?? new RealClock();
    const address = o.address ?? '127.0.0.1';
    const config = typeof o.menus === 'string'
      ? parseMenuConfig(readFileSync(o.menus, 'utf8'), o.menus)
      : o.menus ?? parseMenuConfig();
    const prompts = new PromptLibrary(config.prompts, o.root ?? packageRoot());
    prompts.preload(promptsUsed(config));
    const store = new MailboxStore(resolve(o.dataDir ?? 'um-data'));
    const log = o.log;
    const hops = o.redirectHops ?? 1;
    // The composition root of the server: it opens the real sockets, the parts take them injected.
    const security = o.security ?? 'unsecured';
    const tls = o.tls;
    if (security !== 'unsecured' && !tls) throw new Error(`security ${security} needs a server certificate and key (tls)`);
    const ports = defaultPorts(security);
    const peerNames = tls?.peerNames;
    const opened: SipTransport[] = [];
    const listen = async (port: number): Promise<SipTransport> => {
      const t = security === 'unsecured'
        ? await TcpTransport.listen({ clock, address, port })
        : await TlsTransport.listen({
          clock, address, port, cert: tls!.cert, key: tls!.key, ...(tls!.ca !== undefined ? { ca: tls!.ca } : {}),
          // Mutual TLS: a caller without a certificate the CAs verify fails the handshake.
          requestClientCert: true,
          ...(tls!.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: tls!.handshakeTimeoutMs } : {}),
        });
      opened.push(t);
      if (log) t.onError((e) => log({ kind: 'info', role: 'server', line: e.message }));
      return t;
    };
    let rtp: RtpTransport | undefined;
    let worker: UmWorker | undefined;
    const fronts: Redirector[] = [];
    try {
      rtp = await createRtpTransport({
        clock,
        ...(o.rtpEngine ? { mode: o.rtpEngine } : {}),
        ...(o.rtpRealtimePriority !== undefined ? { realtimePriority: o.rtpRealtimePriority } : {}),
      });
      worker = new UmWorker({
        clock, address, sip: await listen(o.workerPort ?? ports.worker), media: rtp, config, store, prompts, security,
        ...(peerNames ? { peerNames } : {}),
        ...(o.rtpPortRange ? { rtpPortRange: o.rtpPortRange } : {}),
        ...(log ? { log } : {}),
      });
      const host = address.includes(':') ? `[${address}]` : address;
      const umService = new Redirector({
        clock, address, sip: await listen(hops === 2 ? o.umServicePort ?? ports.umService : o.port ?? ports.front),
        next: { host, port: worker.port }, role: 'UM service', ...(log ? { log } : {}), ...(peerNames ? { peerNames } : {}),
      });
      fronts.push(umService);
      if (hops === 2) {
        const router = new Redirector({
          clock, address, sip: await listen(o.port ?? ports.front), next: { host, port: umService.port }, role: 'call router',
          ...(log ? { log } : {}), ...(peerNames ? { peerNames } : {}),
        });
        fronts.unshift(router);
      }
    } catch (e) {
      // A part closes its own transport; closing one twice is harmless, and nothing here may hide `e`.
      const closing = [worker ? worker.close() : rtp?.close(), ...fronts.map((f) => f.close()), ...opened.map((t) => t.close())];
      await Promise.all(closing.map((p) => Promise.resolve(p).catch(() => undefined)));
      throw e;
    }
    const server = new UmServer(rtp, address, config, store, worker, fronts, security);
    log?.({ kind: 'info', role: 'server', line: server.describe() });
    return server;
  }

  /** The port callers dial. */
  get port(): number {
    return this.fronts[0]!.port;
  }

  get host(): string {
    return this.address.includes(':') ? `[${this.address}]` : this.address;
  }

  /** `sip:<number>@host:port;transport=tcp` (or `transport=tls`) at the front. */
  uri(number: string): string {
    return `sip:${number}@${this.host}:${this.port};transport=${this.transport}`;
  }

  get pilotUri(): string {
    return this.uri(this.config.pilot);
  }

  describe(): string {
    const chain = this.fronts.map((f) => `${f === this.fronts[0] && this.fronts.length === 2 ? 'call router' : 'UM service'} ${this.host}:${f.port}`);
    const aa = this.config.autoAttendant ? `, auto attendant ${this.config.autoAttendant.number}` : '';
    const how = { unsecured: 'TCP, RTP', 'sip-secured': 'SIP Secured: mutual TLS, RTP', secured: 'Secured: mutual TLS, SRTP mandatory' }[this.security];
    return `${[...chain, `worker ${this.host}:${this.worker.port}`].join(' -302-> ')} (${how}); pilot ${this.config.pilot}${aa}; mailboxes ${[...this.config.mailboxes.keys()].join(', ')} in ${this.store.dataDir}`;
  }

  async close(): Promise<void> {
    await Promise.all([this.worker.close(), ...this.fronts.map((f) => f.close())]);
  }
}
