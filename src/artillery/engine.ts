/**
 * The Artillery engine (`engine: umphone`): a scenario's `flow:` is a caller script's steps (`call`,
 * `wait_for`, `dtmf`, `record`, `play`, `expect`, `pause`, `hangup`) mixed with Artillery's own
 * (`think`, `loop`, `log`, `function`). Each umphone item is read by the script parser (StepParser) and
 * run by the script runner (IterationRun), so the language and its behaviour are the ones of
 * `umphone run`; this file only walks the flow and turns what happened into Artillery metrics.
 *
 * Artillery constructs engines synchronously with (script, ee, helpers) and calls the function
 * createScenario() returns once per virtual user with (context, callback). The published package
 * artillery-engine-umphone is the CommonJS shim Artillery require()s; it imports this module.
 *
 * One Phone (one SIP stack, one RTP engine) serves every virtual user of an Artillery worker: made on
 * the first call, closed when Artillery unloads the worker (see closeOnWorkerStop).
 */
import { cpus } from 'node:os';
import { threadId } from 'node:worker_threads';
import { Phone, phoneInternals, type PhoneOptions } from '../phone/phone.js';
import type { Call, CallOptions } from '../phone/call.js';
import type { CallSummary } from '../phone/call-types.js';
import { RealClock, type Clock } from '../util/clock.js';
import { StepParser } from '../script/parse.js';
import { IterationRun } from '../script/runner.js';
import { ScriptError } from '../script/errors.js';
import type { Iteration, Step } from '../script/types.js';

/** What Artillery's event emitter takes from an engine. */
export interface ArtilleryEvents {
  emit(event: 'counter' | 'histogram', name: string, value: number): unknown;
  emit(event: 'error', message: string): unknown;
  emit(event: 'started'): unknown;
}

/** Artillery's engine helpers (engine_util); only template() is used. */
export interface ArtilleryHelpers {
  template?: (value: unknown, context: ArtilleryContext) => unknown;
}

export interface ArtilleryContext {
  vars: Record<string, unknown>;
  [k: string]: unknown;
}

export interface ArtilleryScript {
  config: {
    umphone?: UmphoneEngineConfig;
    processor?: Record<string, unknown>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface ArtilleryScenario {
  name?: string;
  flow?: unknown[];
}

/** `config.umphone` of an Artillery script (README of artillery-engine-umphone). */
export interface UmphoneEngineConfig {
  /** Address to bind (default 127.0.0.1; 0.0.0.0 for every interface). */
  localIp?: string;
  /** Address to put in Via, Contact and SDP instead (a NAT's public address). */
  advertise?: string;
  /** SIP port of the first worker; worker k uses sipPort + k. 0 or absent: any free port. */
  sipPort?: number;
  /** RTP ports, "20000-29999": split in equal slices, one per worker. Default: the phone's 16384-32767, unsplit. */
  rtpPorts?: string;
  /** How many workers to split the ports for. Default: the number Artillery's local runner started (CPUs - 1). */
  workers?: number;
  /** Transport for targets without transport= (tcp by default, as the phone). */
  transport?: 'udp' | 'tcp' | 'tls';
  userAgent?: string;
  username?: string;
  password?: string;
  /** 'native' (default where built) or 'main'. */
  rtpEngine?: 'native' | 'main';
  /** Where `record:` and `call.record` files go (default: the working directory). */
  outDir?: string;
}

/** Injected by tests: a phone on the memory network and its clock. */
export interface EngineDeps {
  phone: () => Promise<Phone>;
  clock?: Clock;
}

const realClock = new RealClock();

const UMPHONE_STEPS = ['call', 'wait_for', 'record', 'play', 'dtmf', 'pause', 'hangup', 'expect'];

/** A virtual user's flow stops here: the reason has been emitted already. */
class FlowStop extends Error {}

export class UmphoneEngine {
  private readonly config: UmphoneEngineConfig;
  private readonly parser: StepParser;
  private readonly deps: EngineDeps;

  constructor(private readonly script: ArtilleryScript, _ee: ArtilleryEvents, private readonly helpers: ArtilleryHelpers = {}, deps?: EngineDeps) {
    this.config = checkConfig(script.config.umphone ?? {});
    // Relative WAV paths resolve from the scenario's folder, as in a umphone script.
    const file = typeof script._scriptPath === 'string' ? script._scriptPath : `${process.cwd()}/artillery.yml`;
    this.parser = new StepParser(file, { env: process.env });
    // Artillery's local runner gives each worker thread its own copy of the script, its phases marked
    // with the worker's number (1..n) and the number of workers: the ports are split by these.
    const phase = (script.config.phases as Array<{ worker?: number; totalWorkers?: number }> | undefined)?.[0];
    const worker = { id: phase?.worker ?? (Number(process.env.LOCAL_WORKER_ID) || threadId || 1), count: phase?.totalWorkers };
    this.deps = deps ?? { phone: () => workerPhone(this.config, worker) };
  }

  createScenario(spec: ArtilleryScenario, ee: ArtilleryEvents): (context: ArtilleryContext, callback: (err: Error | null, context: ArtilleryContext) => void) => void {
    const flow = spec.flow ?? [];
    // As in a script: an `expect: { sip }` step judges a call that was not answered.
    const expectsSip = JSON.stringify(flow).includes('"sip"');
    return (context, callback) => {
      ee.emit('started');
      const vu = new VirtualCaller(this, spec.name ?? 'artillery', ee, context, expectsSip);
      vu.run(flow).then(
        () => callback(null, context),
        (e: unknown) => {
          if (!(e instanceof FlowStop)) ee.emit('error', `umphone: ${(e as Error).message}`);
          callback(e as Error, context);
        },
      );
    };
  }

  /** @internal */
  template(value: unknown, context: ArtilleryContext): unknown {
    return this.helpers.template ? this.helpers.template(value, context) : templateVars(value, context.vars);
  }

  /** @internal Artillery's think time runs on this clock (the tests' manual one). */
  get timer(): Clock {
    return this.deps.clock ?? realClock;
  }

  /** @internal */
  get stepParser(): StepParser {
    return this.parser;
  }

  /** @internal */
  get processor(): Record<string, unknown> {
    return this.script.config.processor ?? {};
  }

  /** @internal */
  get settings(): UmphoneEngineConfig {
    return this.config;
  }

  /** @internal */
  phone(): Promise<Phone> {
    return this.deps.phone();
  }

  /** @internal */
  clock(phone: Phone): Clock {
    return this.deps.clock ?? phoneInternals(phone).clock;
  }
}

/** One virtual user: its flow, its current call (one IterationRun) and the metrics of each call. */
class VirtualCaller {
  private run_: IterationRun | undefined;
  private timing: { dialAt: number; ringAt?: number; answerAt?: number } | undefined;

  constructor(
    private readonly engine: UmphoneEngine,
    private readonly name: string,
    private readonly ee: ArtilleryEvents,
    private readonly context: ArtilleryContext,
    private readonly expectsSip: boolean,
  ) {}

  async run(flow: unknown[]): Promise<void> {
    try {
      await this.walk(flow);
    } finally {
      await this.endCall();
    }
  }

  private async walk(flow: unknown[]): Promise<void> {
    for (const [k, item] of flow.entries()) await this.item(item, k);
  }

  private async item(item: unknown, k: number): Promise<void> {
    if (item === 'hangup') return this.umphoneStep(item, k);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Error(`flow item ${k + 1}: a step is a mapping (call:, wait_for:, think: ...) or the word hangup`);
    const o = item as Record<string, unknown>;
    if ('think' in o) return this.think(o.think);
    if ('loop' in o) return this.loop(o);
    if ('log' in o) {
      console.log(String(this.engine.template(o.log, this.context)));
      return;
    }
    if ('function' in o) return this.fn(String(o.function));
    if ('call' in o) return this.startCall(o, k);
    if (Object.keys(o).some((key) => UMPHONE_STEPS.includes(key))) return this.umphoneStep(o, k);
    throw new Error(`flow item ${k + 1}: unknown step "${Object.keys(o)[0] ?? ''}" (${[...UMPHONE_STEPS, 'think', 'loop', 'log', 'function'].join(', ')})`);
  }

  /** `think: 2` (seconds, as everywhere in Artillery). */
  private async think(value: unknown): Promise<void> {
    const s = Number(this.engine.template(value, this.context));
    if (!(s >= 0)) throw new Error(`think: ${String(value)} is not a number of seconds`);
    await new Promise<void>((r) => this.engine.timer.setTimeout(r, s * 1000));
  }

  /** Artillery's loop: `count`, or `over` (a list or the name of a list variable); $loopCount, $loopElement. */
  private async loop(o: Record<string, unknown>): Promise<void> {
    const steps = o.loop;
    if (!Array.isArray(steps)) throw new Error('loop: takes a list of steps');
    let over = o.over;
    if (typeof over === 'string') over = this.context.vars[over] ?? this.engine.template(over, this.context);
    const count = o.count === undefined ? undefined : Number(this.engine.template(o.count, this.context));
    const loopValue = typeof o.loopValue === 'string' ? o.loopValue : '$loopCount';
    const whileTrue = typeof o.whileTrue === 'string' ? this.engine.processor[o.whileTrue] : undefined;
    for (let i = 0; ; i++) {
      if (Array.isArray(over) ? i >= over.length : count !== undefined && count >= 0 && i >= count) break;
      if (typeof whileTrue === 'function' && !(await new Promise<boolean>((r) => { (whileTrue as (c: unknown, n: (b: boolean) => void) => void)(this.context, r); }))) break;
      if (!Array.isArray(over) && count === undefined && typeof whileTrue !== 'function') throw new Error('loop: needs count:, over: or whileTrue:');
      this.context.vars[loopValue] = i + 1;
      if (Array.isArray(over)) this.context.vars.$loopElement = over[i];
      await this.walk(steps);
    }
  }

  /** A processor function: (context, events, next) or async (context, events). */
  private async fn(name: string): Promise<void> {
    const f = this.engine.processor[name];
    if (typeof f !== 'function') throw new Error(`function: "${name}" is not in config.processor`);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve());
      const r = (f as (...a: unknown[]) => unknown)(this.context, this.ee, done);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(() => resolve(), done);
    });
  }

  /** The context's variables as the script's (strings), for ${name} in the step. */
  private vars(): Record<string, string> {
    const v: Record<string, string> = {};
    for (const [k, x] of Object.entries(this.context.vars)) if (x !== undefined && x !== null && typeof x !== 'object' && typeof x !== 'function') v[k] = String(x);
    return v;
  }

  private parse<T>(k: number, what: string, read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof ScriptError) throw new Error(`flow item ${k + 1} (${what}): ${e.reason}`);
      throw e;
    }
  }

  private async startCall(o: Record<string, unknown>, k: number): Promise<void> {
    await this.endCall();
    const value = this.engine.template(o.call, this.context);
    const header = this.parse(k, 'call', () => this.engine.stepParser.call(withTransport(value), this.vars()));
    const phone = await this.engine.phone();
    const clock = this.engine.clock(phone);
    const it: Iteration = { index: 1, label: '', vars: this.vars(), call: header, steps: [] };
    const dial = (target: string, options: CallOptions): Call => {
      const call = phone.dial(target, options);
      const t = { dialAt: clock.now() } as { dialAt: number; ringAt?: number; answerAt?: number };
      this.timing = t;
      call.onEvent((e) => {
        // As `umphone load` counts it: to the first 18x (180 Ringing, 183 Session Progress).
        if (e.type === 'provisional' && e.status >= 180 && e.status <= 189 && t.ringAt === undefined) t.ringAt = clock.now();
        if (e.type === 'answered') t.answerAt = clock.now();
      });
      return call;
    };
    const outDir = this.engine.settings.outDir;
    this.run_ = new IterationRun({ name: this.name, iterations: [it] }, it, { phone: { dial }, clock, ...(outDir ? { outDir } : {}) });
    this.ee.emit('counter', 'umphone.calls.started', 1);
    const setup = await this.run_.begin();
    if (setup.answered) {
      this.ee.emit('counter', 'umphone.calls.answered', 1);
      return;
    }
    const why = setup.outcome.status !== undefined ? String(setup.outcome.status) : (setup.outcome.failureKind ?? 'error');
    this.ee.emit('counter', 'umphone.calls.failed', 1);
    this.ee.emit('counter', `umphone.calls.failed.${why}`, 1);
    if (!this.expectsSip) {
      this.ee.emit('error', setup.outcome.status !== undefined ? `SIP ${setup.outcome.status}` : `call ${why}`);
      throw new FlowStop(setup.outcome.setupError ?? 'the call was not set up');
    }
  }

  private async umphoneStep(item: unknown, k: number): Promise<void> {
    const value = this.engine.template(item, this.context);
    const what = typeof value === 'string' ? value : Object.keys(value as object).find((key) => UMPHONE_STEPS.includes(key)) ?? 'step';
    const step: Step = this.parse(k, what, () => this.engine.stepParser.step(value, this.vars()));
    const run = this.run_;
    if (!run) throw new Error(`flow item ${k + 1} (${step.label}): no call yet (a call: step comes first)`);
    const r = await run.runStep(step);
    if (r.status === 'failed') {
      this.ee.emit('counter', `umphone.steps.failed.${step.kind}`, 1);
      this.ee.emit('error', `${step.kind}: ${r.errorType ?? 'failed'}`);
      throw new FlowStop(r.error ?? `${step.label} failed`);
    }
  }

  /** Hangs the current call up (if on) and records its delays and media figures. */
  private async endCall(): Promise<void> {
    const run = this.run_;
    if (!run) return;
    this.run_ = undefined;
    await run.end(this.expectsSip);
    const s = run.summary;
    const t = this.timing;
    if (s) emitCallMetrics(this.ee, s, t);
  }
}

/**
 * The call's histograms. The delays come from the call's quality model (measured on the INVITE's
 * responses through redirects and challenges) when the summary has one, else from the call's events.
 */
function emitCallMetrics(ee: ArtilleryEvents, s: CallSummary, t: { dialAt: number; ringAt?: number; answerAt?: number } | undefined): void {
  const q = s.quality;
  const pdd = q?.postDialDelay?.toRingingMs ?? q?.postDialDelay?.toAnswerMs
    ?? (t && (t.ringAt ?? t.answerAt) !== undefined ? (t.ringAt ?? t.answerAt)! - t.dialAt : undefined);
  if (pdd !== undefined) ee.emit('histogram', 'umphone.post_dial_delay', pdd);
  const setup = q?.postDialDelay?.toAnswerMs ?? (t?.answerAt !== undefined ? t.answerAt - t.dialAt : undefined);
  if (setup !== undefined) ee.emit('histogram', 'umphone.call_setup', setup);
  if (q?.mos !== undefined) ee.emit('histogram', 'umphone.mos', q.mos);
  if (s.rtp && s.answeredAtMs !== undefined) {
    ee.emit('histogram', 'umphone.rtp.loss', s.rtp.received.lossPercent);
    ee.emit('histogram', 'umphone.rtp.jitter', s.rtp.received.jitterMs);
  }
}

/** `call: { target, transport: udp }`: the transport goes on the target as transport=. */
function withTransport(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('transport' in value)) return value;
  const { transport, ...rest } = value as Record<string, unknown>;
  const target = String(rest.target ?? '');
  if (target && !/[;?]transport=/i.test(target)) rest.target = `${target};transport=${String(transport)}`;
  return rest;
}

/** `{{ name }}` without Artillery's helpers (tests); Artillery's own template() is used when given. */
function templateVars(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') return value.replace(/\{\{\s*([\w$.]+)\s*\}\}/g, (w, n: string) => (vars[n] === undefined ? w : String(vars[n])));
  if (Array.isArray(value)) return value.map((v) => templateVars(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templateVars(v, vars)]));
  return value;
}

const CONFIG_KEYS = ['localIp', 'advertise', 'sipPort', 'rtpPorts', 'workers', 'transport', 'userAgent', 'username', 'password', 'rtpEngine', 'outDir'];

/** Checks config.umphone: a typo must not silently fall back to a default. */
export function checkConfig(c: UmphoneEngineConfig): UmphoneEngineConfig {
  for (const k of Object.keys(c)) if (!CONFIG_KEYS.includes(k)) throw new Error(`config.umphone: unknown setting "${k}" (${CONFIG_KEYS.join(', ')})`);
  if (c.sipPort !== undefined && !(Number.isInteger(Number(c.sipPort)) && Number(c.sipPort) >= 0 && Number(c.sipPort) < 65536)) throw new Error(`config.umphone.sipPort: ${String(c.sipPort)} is not a port`);
  if (c.rtpPorts !== undefined) parseRange(c.rtpPorts);
  if (c.transport !== undefined && !['udp', 'tcp', 'tls'].includes(c.transport)) throw new Error(`config.umphone.transport: ${String(c.transport)} (udp, tcp or tls)`);
  if (c.rtpEngine !== undefined && !['native', 'main'].includes(c.rtpEngine)) throw new Error(`config.umphone.rtpEngine: ${String(c.rtpEngine)} (native or main)`);
  return c;
}

function parseRange(text: string): { min: number; max: number } {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(String(text));
  const r = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
  if (!r || r.min < 1024 || r.max > 65535 || r.max - r.min < 3) throw new Error(`config.umphone.rtpPorts: "${text}" is not a range such as 20000-29999`);
  return r;
}

/** This worker's ports: worker k (1..n) takes sipPort + k - 1 and the k-th slice of the RTP range. */
export function workerPorts(c: UmphoneEngineConfig, workerId: number, workers: number): Pick<PhoneOptions, 'localPort' | 'rtpPortRange'> {
  const k = Math.max(0, workerId - 1) % Math.max(1, workers);
  const o: Pick<PhoneOptions, 'localPort' | 'rtpPortRange'> = {};
  if (c.sipPort) o.localPort = Number(c.sipPort) + k;
  if (c.rtpPorts) {
    const r = parseRange(c.rtpPorts);
    // Slices of an even size, so each RTP port is even and its RTCP port (+1) in the same slice.
    const size = Math.floor((r.max - r.min + 1) / Math.max(1, workers) / 2) * 2;
    if (size < 4) throw new Error(`config.umphone.rtpPorts: ${c.rtpPorts} is too small for ${workers} workers`);
    o.rtpPortRange = { min: r.min + k * size, max: r.min + (k + 1) * size - 1 };
  }
  return o;
}

let shared: Promise<Phone> | undefined;

/** This worker's phone, made on first use. */
function workerPhone(c: UmphoneEngineConfig, worker: { id: number; count: number | undefined }): Promise<Phone> {
  if (!shared) {
    const workers = Number(c.workers ?? worker.count ?? process.env.WORKERS) || Math.max(1, cpus().length - 1);
    const o: PhoneOptions = {
      localIp: c.localIp ?? '127.0.0.1',
      ...workerPorts(c, worker.id, workers),
      ...(c.advertise ? { advertise: c.advertise } : {}),
      ...(c.transport ? { transport: c.transport } : {}),
      ...(c.userAgent ? { userAgent: c.userAgent } : {}),
      ...(c.username && c.password ? { credentials: { username: c.username, password: c.password } } : {}),
      ...(c.rtpEngine ? { rtpEngine: c.rtpEngine } : {}),
    };
    shared = Phone.create(o);
    shared.then(closeOnWorkerStop, () => { shared = undefined; });
  }
  return shared;
}

/**
 * Artillery stops a worker by unloading its plugins (each one's cleanup(done)) and then process.exit():
 * an entry in that list closes the phone first, so calls still up get their BYE. A process without
 * Artillery's global (a test) closes it itself.
 */
function closeOnWorkerStop(phone: Phone): void {
  const a = (globalThis as { artillery?: { plugins?: Array<{ name: string; plugin: { cleanup(done: (err?: Error) => void): void } }> } }).artillery;
  a?.plugins?.push({
    name: 'umphone-engine',
    plugin: {
      cleanup(done) {
        shared = undefined;
        phone.close().then(() => done(), (e: Error) => done(e));
      },
    },
  });
}

/** Closes this worker's phone, if one was made (tests; Artillery's stop does it otherwise). */
export async function closeWorkerPhone(): Promise<void> {
  const p = shared;
  shared = undefined;
  if (p) await (await p).close();
}
