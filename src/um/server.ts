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
import type { SipTransport } from '../sip/transport/transport.js';
import { createRtpTransport, type RtpEngineMode, type RtpTransport } from '../rtp/rtp-transport.js';

export interface UmServerOptions {
  /** Listen address (default 127.0.0.1: loopback unless asked). */
  address?: string;
  /** Front port (default 5060; 0 = any free port). */
  port?: number;
  /** Worker port (default 5065; 0 = any free port). */
  workerPort?: number;
  /** With redirectHops 2: the UM service behind the call router (default 5062; 0 = any). */
  umServicePort?: number;
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
  ) {}

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
    const opened: SipTransport[] = [];
    const listen = async (port: number): Promise<SipTransport> => {
      const t = await TcpTransport.listen({ clock, address, port });
      opened.push(t);
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
        clock, address, sip: await listen(o.workerPort ?? 5065), media: rtp, config, store, prompts,
        ...(o.rtpPortRange ? { rtpPortRange: o.rtpPortRange } : {}),
        ...(log ? { log } : {}),
      });
      const host = address.includes(':') ? `[${address}]` : address;
      const umService = new Redirector({
        clock, address, sip: await listen(hops === 2 ? o.umServicePort ?? 5062 : o.port ?? 5060),
        next: { host, port: worker.port }, role: 'UM service', ...(log ? { log } : {}),
      });
      fronts.push(umService);
      if (hops === 2) {
        const router = new Redirector({
          clock, address, sip: await listen(o.port ?? 5060), next: { host, port: umService.port }, role: 'call router', ...(log ? { log } : {}),
        });
        fronts.unshift(router);
      }
    } catch (e) {
      // A part closes its own transport; closing one twice is harmless, and nothing here may hide `e`.
      const closing = [worker ? worker.close() : rtp?.close(), ...fronts.map((f) => f.close()), ...opened.map((t) => t.close())];
      await Promise.all(closing.map((p) => Promise.resolve(p).catch(() => undefined)));
      throw e;
    }
    const server = new UmServer(rtp, address, config, store, worker, fronts);
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

  /** `sip:<number>@host:port;transport=tcp` at the front. */
  uri(number: string): string {
    return `sip:${number}@${this.host}:${this.port};transport=tcp`;
  }

  get pilotUri(): string {
    return this.uri(this.config.pilot);
  }

  describe(): string {
    const chain = this.fronts.map((f) => `${f === this.fronts[0] && this.fronts.length === 2 ? 'call router' : 'UM service'} ${this.host}:${f.port}`);
    const aa = this.config.autoAttendant ? `, auto attendant ${this.config.autoAttendant.number}` : '';
    return `${[...chain, `worker ${this.host}:${this.worker.port}`].join(' -302-> ')} (TCP); pilot ${this.config.pilot}${aa}; mailboxes ${[...this.config.mailboxes.keys()].join(', ')} in ${this.store.dataDir}`;
  }

  async close(): Promise<void> {
    await Promise.all([this.worker.close(), ...this.fronts.map((f) => f.close())]);
  }
}
