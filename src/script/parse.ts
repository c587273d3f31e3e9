/**
 * Reads a caller script (YAML) into a checked Script: the header (`call:` or `listen:`), `vars:`,
 * `foreach:` / `repeat:`, `vad:` and the steps. Every error names the file and the line of the
 * offending node (`script.yaml:7: unknown step "wiat_for"`), and every iteration is resolved here
 * (variables substituted, WAVs loaded), so a script that cannot run fails before the first call.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Document, LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from 'yaml';
import type { VadOptions } from '../media/analysis/vad.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import { parseCsv, CsvError } from './csv.js';
import { ScriptError } from './errors.js';
import { ScriptContext } from './script-context.js';
import { StepReader } from './parse-steps.js';
import type { CallHeader, Iteration, ListenHeader, Script, Step } from './types.js';

export interface LoadOptions {
  /** Environment for ${env.NAME}. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra variables (the command line's --var name=value); they override vars:. */
  vars?: Record<string, string>;
  /**
   * WAVs already loaded, by path: shared by the parses of one script for many callers (`umphone load`
   * parses it once per caller's variables) so each prompt is read and held once.
   */
  audio?: Map<string, PlaybackAudio>;
}

const TOP_KEYS = ['name', 'call', 'listen', 'vars', 'foreach', 'repeat', 'vad', 'steps'];

/** Reads and checks a script file. Throws ScriptError. */
export function loadScript(path: string, options: LoadOptions = {}): Script {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScriptError(path, 1, `cannot read the script (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseScript(text, path, options);
}

export function parseScript(text: string, file: string, options: LoadOptions = {}): Script {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx: ScriptContext = new ScriptContext(file, lines, options.env ?? {}, options.audio);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw new ScriptError(file, line, `not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const root = doc.contents;
  if (!isMap(root)) ctx.fail(root, 'a script is a mapping with call: (or listen:) and steps:');
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!TOP_KEYS.includes(k)) ctx.fail(pair.key as Node, `unknown key "${k}" (a script has ${TOP_KEYS.join(', ')})`);
  }
  const get = (k: string): Node | undefined => root.get(k, true) as Node | undefined;
  const callNode = get('call');
  const listenNode = get('listen');
  if (!callNode && !listenNode) ctx.fail(root, 'the script needs call: (a number to call) or listen: (wait for a call)');
  if (callNode && listenNode) ctx.fail(listenNode, 'call: and listen: cannot both be given');
  const stepsNode = get('steps');
  if (!isSeq(stepsNode) || stepsNode.items.length === 0) ctx.fail(stepsNode ?? root, 'steps: must be a list of at least one step');

  // Variables: vars:, then the command line's, then each foreach row.
  const baseVars: Record<string, string> = {};
  const varsNode = get('vars');
  if (varsNode) {
    if (!isMap(varsNode)) ctx.fail(varsNode, 'vars: must be a mapping of names to values');
    for (const p of varsNode.items) {
      const name = ctx.str(p.key, 'a variable name');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) ctx.fail(p.key as Node, `"${name}" is not a variable name`);
      ctx.vars = baseVars;
      baseVars[name] = ctx.str(p.value, `vars.${name}`);
    }
  }
  Object.assign(baseVars, options.vars ?? {});
  const rows = iterationRows(ctx, get('foreach'), get('repeat'));
  const scriptName = get('name') ? (ctx.vars = baseVars, ctx.str(get('name'), 'name:')) : basename(file).replace(/\.ya?ml$/i, '');
  const vad = get('vad') ? vadOptions(ctx, get('vad')!) : undefined;

  const iterations: Iteration[] = rows.map((row, k) => {
    const vars = { ...baseVars, ...row, iteration: String(k + 1) };
    ctx.vars = vars;
    const it: Iteration = {
      index: k + 1,
      label: Object.entries(row).map(([n, v]) => `${n}=${v}`).join(' '),
      vars,
      steps: new StepReader(ctx).steps(stepsNode),
    };
    if (callNode) it.call = callHeader(ctx, callNode);
    if (listenNode) it.listen = listenHeader(ctx, listenNode);
    return it;
  });
  const script: Script = { file, name: scriptName, iterations };
  if (vad) script.vad = vad;
  return script;
}

/**
 * The same readers for steps and call headers given as values already parsed (an Artillery scenario's
 * `flow:` items), so another front end runs the script language unchanged. One parser keeps its WAVs
 * loaded across calls; relative paths resolve from `file`'s folder. Errors are ScriptErrors at line 1
 * (the values carry no lines): the caller names the item.
 */
export class StepParser {
  private readonly ctx: ScriptContext;
  constructor(file: string, options: LoadOptions = {}) {
    this.ctx = new ScriptContext(file, new LineCounter(), options.env ?? {});
  }

  /** A `call:` value (a target, or a mapping with target: and the other call settings). */
  call(value: unknown, vars: Record<string, string> = {}): CallHeader {
    this.ctx.vars = vars;
    return callHeader(this.ctx, this.node(value));
  }

  /** One step (`{ wait_for: speech, timeout: 5s }`, `"hangup"`). */
  step(value: unknown, vars: Record<string, string> = {}): Step {
    this.ctx.vars = vars;
    return new StepReader(this.ctx).steps(this.node([value]))[0]!;
  }

  private node(value: unknown): Node {
    return new Document(value).contents as Node;
  }
}

function iterationRows(ctx: ScriptContext, foreach: Node | undefined, repeat: Node | undefined): Array<Record<string, string>> {
  let rows: Array<Record<string, string>> = [{}];
  if (foreach) {
    if (isMap(foreach) && foreach.has('csv')) {
      const csvNode = foreach.get('csv', true);
      const path = ctx.inputPath(csvNode, 'foreach.csv');
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        ctx.fail(csvNode as Node, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      try {
        rows = parseCsv(text).rows.map((r) => r.values);
      } catch (e) {
        if (e instanceof CsvError) throw new ScriptError(path, e.line, e.message);
        throw e;
      }
      if (rows.length === 0) ctx.fail(csvNode as Node, `${path} has a header but no rows`);
    } else if (isSeq(foreach)) {
      rows = foreach.items.map((item) => {
        if (!isMap(item)) ctx.fail(item as Node, 'each foreach: entry is a mapping of variables');
        const row: Record<string, string> = {};
        for (const p of item.items) row[ctx.str(p.key, 'a variable name')] = ctx.str(p.value, 'a variable');
        return row;
      });
    } else {
      ctx.fail(foreach, 'foreach: takes { csv: file.csv } or a list of variable mappings');
    }
  }
  if (repeat) {
    const n = Number(ctx.str(repeat, 'repeat:'));
    if (!Number.isInteger(n) || n < 1 || n > 100_000) ctx.fail(repeat, 'repeat: must be a whole number from 1');
    rows = rows.flatMap((r) => Array.from({ length: n }, () => ({ ...r })));
  }
  return rows;
}

function vadOptions(ctx: ScriptContext, node: Node): VadOptions {
  if (!isMap(node)) ctx.fail(node, 'vad: must be a mapping (margin_db, min_speech_dbfs, onset, hangover, floor_window)');
  const o: VadOptions = {};
  for (const p of node.items) {
    const k = ctx.str(p.key, 'a vad: setting');
    const num = (): number => {
      const v = Number(ctx.str(p.value, `vad.${k}`));
      if (!Number.isFinite(v)) ctx.fail(p.value as Node, `vad.${k} must be a number`);
      return v;
    };
    switch (k) {
      case 'margin_db': o.marginDb = num(); break;
      case 'min_speech_dbfs': o.minSpeechDbfs = num(); break;
      case 'onset': o.onsetMs = ctx.duration(p.value, 'vad.onset'); break;
      case 'hangover': o.hangoverMs = ctx.duration(p.value, 'vad.hangover'); break;
      case 'floor_window': o.floorWindowMs = ctx.duration(p.value, 'vad.floor_window'); break;
      default: ctx.fail(p.key as Node, `unknown vad: setting "${k}" (margin_db, min_speech_dbfs, onset, hangover, floor_window)`);
    }
  }
  return o;
}

const CALL_KEYS = ['target', 'from', 'name', 'to', 'diversion', 'diversion_reason', 'history_info', 'codecs', 'dtmf', 'headers', 'record', 'max_redirects', 'timeout', 'rtp_timeout', 'srtp', 'srtp_suites'];

function callHeader(ctx: ScriptContext, node: Node): CallHeader {
  if (isScalar(node)) return { line: ctx.lineOf(node), target: ctx.target(node, 'call:'), diversion: [], historyInfo: false, headers: [], setupTimeoutMs: 60_000 };
  if (!isMap(node)) ctx.fail(node, 'call: is a target URI or a mapping with target:');
  const m = node as YAMLMap;
  const h: CallHeader = { line: ctx.lineOf(node), target: '', diversion: [], historyInfo: false, headers: [], setupTimeoutMs: 60_000 };
  for (const p of m.items) {
    const k = ctx.str(p.key, 'a call: setting');
    const v = p.value as Node;
    switch (k) {
      case 'target': h.target = ctx.target(v, 'call.target'); break;
      case 'from': h.from = ctx.str(v, 'call.from'); break;
      case 'name': h.name = ctx.str(v, 'call.name'); break;
      case 'to': h.to = ctx.str(v, 'call.to'); break;
      case 'diversion': h.diversion = isSeq(v) ? v.items.map((x) => ctx.str(x, 'call.diversion')) : ctx.str(v, 'call.diversion').split(/[,\s]+/).filter(Boolean); break;
      case 'diversion_reason': h.diversionReason = ctx.str(v, 'call.diversion_reason'); break;
      case 'history_info': h.historyInfo = ctx.bool(v, 'call.history_info'); break;
      case 'codecs': h.codecs = ctx.codecs(v, isSeq(v) ? v.items.map((x) => ctx.str(x, 'call.codecs')) : [ctx.str(v, 'call.codecs')], 'call.codecs'); break;
      case 'dtmf': h.dtmfMode = ctx.dtmfMode(v, 'call.dtmf'); break;
      case 'headers': {
        if (!isMap(v)) ctx.fail(v, 'call.headers: must be a mapping of header names to values');
        for (const hp of v.items) h.headers.push([ctx.str(hp.key, 'a header name'), ctx.str(hp.value, 'a header value')]);
        break;
      }
      case 'record': h.record = ctx.str(v, 'call.record'); break;
      case 'max_redirects': h.maxRedirects = ctx.count(v, 'call.max_redirects'); break;
      case 'timeout': h.setupTimeoutMs = ctx.duration(v, 'call.timeout'); break;
      case 'rtp_timeout': h.rtpTimeoutMs = ctx.duration(v, 'call.rtp_timeout'); break;
      case 'srtp': {
        // YAML 1.1 readers take a bare off for false: accept it as 'off'.
        h.srtp = isScalar(v) && v.value === false ? 'off' : ctx.srtpMode(v, 'call.srtp');
        break;
      }
      case 'srtp_suites': {
        const text = isSeq(v) ? v.items.map((x) => ctx.str(x, 'call.srtp_suites')).join(',') : ctx.str(v, 'call.srtp_suites');
        h.srtpSuites = ctx.srtpSuites(v, text, 'call.srtp_suites');
        break;
      }
      default: ctx.fail(p.key as Node, `unknown call: setting "${k}" (${CALL_KEYS.join(', ')})`);
    }
  }
  if (!h.target) ctx.fail(node, 'call: needs target: (the number or URI to call)');
  return h;
}

function listenHeader(ctx: ScriptContext, node: Node): ListenHeader {
  const h: ListenHeader = { line: ctx.lineOf(node), timeoutMs: 60_000, answerAfterMs: 0 };
  if (isScalar(node) && (node.value === null || node.value === true)) return h;
  if (!isMap(node)) ctx.fail(node, 'listen: is a mapping (timeout, answer_after)');
  for (const p of node.items) {
    const k = ctx.str(p.key, 'a listen: setting');
    if (k === 'timeout') h.timeoutMs = ctx.duration(p.value, 'listen.timeout');
    else if (k === 'answer_after') h.answerAfterMs = ctx.duration(p.value, 'listen.answer_after');
    else ctx.fail(p.key as Node, `unknown listen: setting "${k}" (timeout, answer_after)`);
  }
  return h;
}
