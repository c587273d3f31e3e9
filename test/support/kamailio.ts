/**
 * Kamailio 5.6 as a TLS-only 302 redirector in interop tests, like Exchange UM's front end: it listens
 * on TLS (mutual TLS when `requireClientCert`) on 127.0.0.1 and answers every INVITE with a 302 whose
 * Contact is `contact` (e.g. `<sip:uas@127.0.0.1:P;transport=TLS;maddr=127.0.0.1>`). Runs in the
 * foreground (-DD -E) so its log goes to our pipe and it dies with the test (see
 * /work/shared/recipes/peers.md, "TLS signalling peers").
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil, spawnTracked, type ExitInfo, type TrackedChild } from './child-process.js';
import { freeTcpPort, isPortBound } from './ports.js';

export interface KamailioRedirectorOptions {
  /** Server certificate and key (PEM files). */
  cert: string;
  key: string;
  /** CA file for client certificates (mutual TLS). */
  ca: string;
  /** Ask for a client certificate and refuse the handshake without one. */
  requireClientCert?: boolean;
  /** The Contact header value of the 302. */
  contact: string;
}

export interface KamailioHandle {
  readonly child: TrackedChild;
  readonly port: number;
  stop(): Promise<ExitInfo>;
}

const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

export async function startKamailioRedirector(o: KamailioRedirectorOptions): Promise<KamailioHandle> {
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'umphone-kamailio-'));
  const mutual = o.requireClientCert ? 'yes' : 'no';
  writeFileSync(join(dir, 'tls.cfg'), [
    '[server:default]',
    'method = TLSv1.2+',
    `certificate = ${o.cert}`,
    `private_key = ${o.key}`,
    `ca_list = ${o.ca}`,
    `verify_certificate = ${mutual}`,
    `require_certificate = ${mutual}`,
    '',
    '[client:default]',
    'verify_certificate = no',
    'require_certificate = no',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'kamailio.cfg'), [
    '#!KAMAILIO',
    'debug=2',
    'log_stderror=yes',
    'children=1',
    'tcp_children=1',
    'auto_aliases=no',
    'enable_tls=yes',
    `listen=tls:127.0.0.1:${port}`,
    `mpath="${MODULES}"`,
    'loadmodule "tls.so"',
    'loadmodule "sl.so"',
    'loadmodule "textops.so"',
    `modparam("tls", "config", "${join(dir, 'tls.cfg')}")`,
    'request_route {',
    '  if (is_method("ACK")) exit;',
    '  if (!is_method("INVITE")) { sl_send_reply("405", "Method Not Allowed"); exit; }',
    `  append_to_reply("Contact: ${o.contact}\\r\\n");`,
    '  sl_send_reply("302", "Moved Temporarily");',
    '  exit;',
    '}',
    '',
  ].join('\n'));
  const child = await runKamailio(dir, port);
  return { child, port, stop: () => child.kill() };
}

export interface KamailioTlsProxyOptions {
  /** Where every new INVITE goes: `127.0.0.1:PORT` over TLS (a TLS listener under test). */
  tlsTarget: string;
  /** Kamailio's server certificate and key (its TLS socket). */
  cert: string;
  key: string;
  /** The client certificate and key it presents to the target (mutual TLS). */
  clientCert: string;
  clientKey: string;
  /** CA that must sign the target's certificate (Kamailio verifies it). */
  ca: string;
}

export interface KamailioProxyHandle extends KamailioHandle {
  /** The plain TCP port callers use. */
  readonly tcpPort: number;
}

/**
 * Kamailio 5.6 as a record-routing proxy from TCP to TLS: INVITEs that arrive on its TCP port go to
 * `tlsTarget` over TLS (with a client certificate, verifying the target's), in-dialog requests follow
 * the Record-Route (double Record-Route: one per transport). It stands for an SBC or IP-PBX in front of
 * a TLS gateway.
 */
export async function startKamailioTlsProxy(o: KamailioTlsProxyOptions): Promise<KamailioProxyHandle> {
  const tcpPort = await freeTcpPort();
  const tlsPort = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'umphone-kamailio-'));
  writeFileSync(join(dir, 'tls.cfg'), [
    '[server:default]',
    'method = TLSv1.2+',
    `certificate = ${o.cert}`,
    `private_key = ${o.key}`,
    `ca_list = ${o.ca}`,
    'verify_certificate = no',
    'require_certificate = no',
    '',
    '[client:default]',
    'method = TLSv1.2+',
    `certificate = ${o.clientCert}`,
    `private_key = ${o.clientKey}`,
    `ca_list = ${o.ca}`,
    'verify_certificate = yes',
    'require_certificate = yes',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'kamailio.cfg'), [
    '#!KAMAILIO',
    'debug=2',
    'log_stderror=yes',
    'children=1',
    'tcp_children=2',
    'auto_aliases=no',
    'enable_tls=yes',
    `listen=tcp:127.0.0.1:${tcpPort}`,
    `listen=tls:127.0.0.1:${tlsPort}`,
    `mpath="${MODULES}"`,
    'loadmodule "tls.so"',
    'loadmodule "sl.so"',
    'loadmodule "tm.so"',
    'loadmodule "rr.so"',
    'loadmodule "maxfwd.so"',
    'loadmodule "textops.so"',
    'loadmodule "siputils.so"',
    'loadmodule "pv.so"',
    `modparam("tls", "config", "${join(dir, 'tls.cfg')}")`,
    'request_route {',
    '  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }',
    '  if (has_totag()) {',
    '    if (loose_route()) { t_relay(); exit; }',
    '    if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }',
    '    sl_send_reply("404", "Not here"); exit;',
    '  }',
    '  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }',
    '  if (!is_method("INVITE|OPTIONS")) { sl_send_reply("405", "Method Not Allowed"); exit; }',
    '  record_route();',
    `  $du = "sip:${o.tlsTarget};transport=tls";`,
    '  t_relay();',
    '  exit;',
    '}',
    '',
  ].join('\n'));
  const child = await runKamailio(dir, tcpPort);
  return { child, port: tlsPort, tcpPort, stop: () => child.kill() };
}

/** Starts Kamailio on `dir`/kamailio.cfg in the foreground and waits until `port` (TCP) is bound. */
async function runKamailio(dir: string, port: number): Promise<TrackedChild> {
  const child = spawnTracked('kamailio', ['-DD', '-E', '-f', join(dir, 'kamailio.cfg'), '-P', join(dir, 'kamailio.pid'), '-Y', dir], { cwd: dir });
  try {
    await pollUntil(`kamailio listening on TCP ${port}`, async () => child.hasExited() || (await isPortBound(port, 'tcp')), 10_000);
  } catch (e) {
    await child.kill();
    throw e;
  }
  if (child.hasExited()) throw new Error(`kamailio did not start:\n${child.stderr()}`);
  return child;
}
