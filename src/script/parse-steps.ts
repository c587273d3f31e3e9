/**
 * The steps of a caller script. A step is a mapping whose step key names it and whose other keys are
 * its options, or a bare word for the steps without a value:
 *
 *   - wait_for: speech | silence | tone | dtmf | hangup      (or { silence: 2s }, { tone: [440, 1000] },
 *     timeout: 5s                                              { dtmf: "1" }, { prompt: file.wav })
 *   - record: greeting.wav        until: silence | tone | dtmf | hangup | max, max: 30s, silence: 1.5s
 *   - play: audio/message.wav     wait: true, loop: false
 *   - dtmf: "680#"                mode: auto | rfc4733 | inband | info (parseDtmfMode's spellings)
 *   - pause: 2s
 *   - hangup
 *   - expect: { sip: [302, 200] } | { sip: 486 } | { dtmf: "1" } | { prompt: file.wav } | hangup
 *   - expect: { mos: ">= 4.0", post_dial_delay: "< 2s", loss: "< 1%", one_way_audio: false }
 *     (quality thresholds, quality-thresholds.ts; checked at the step, after hangup on the whole call)
 *
 * Options may also sit inside the step's mapping value (`wait_for: { tone: 1000, timeout: 10s }`).
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseKey } from '../media/dtmf/index.js';
import type { ScriptContext } from './script-context.js';
import type { RecordUntil, Step } from './types.js';
import { parseQualityExpectations, QUALITY_METRICS } from './quality-thresholds.js';

const STEP_KEYS = ['wait_for', 'record', 'play', 'dtmf', 'pause', 'hangup', 'expect'] as const;
type StepKey = (typeof STEP_KEYS)[number];

const OPTIONS: Record<StepKey, string[]> = {
  wait_for: ['timeout', 'min', 'frequency', 'frequencies', 'min_duration', 'digits', 'threshold'],
  record: ['until', 'max', 'silence', 'frequency', 'frequencies', 'digits', 'stereo'],
  play: ['wait', 'loop'],
  dtmf: ['mode'],
  pause: [],
  hangup: [],
  expect: ['timeout', 'threshold', 'margin'],
};

/** Options gathered from the step's sibling keys and from inside its value mapping. */
class Options {
  private readonly map = new Map<string, Pair>();
  constructor(private readonly ctx: ScriptContext, private readonly step: StepKey) {}
  add(p: Pair, allowedExtra: string[] = []): void {
    const k = this.ctx.str(p.key, 'an option');
    if (k === 'name') {
      this.map.set(k, p);
      return;
    }
    if (!OPTIONS[this.step].includes(k) && !allowedExtra.includes(k)) {
      const known = OPTIONS[this.step];
      this.ctx.fail(p.key as Node, `unknown option "${k}" for ${this.step}${known.length > 0 ? ` (${known.join(', ')})` : ' (it takes none)'}`);
    }
    if (this.map.has(k)) this.ctx.fail(p.key as Node, `${k} is given twice`);
    this.map.set(k, p);
  }
  get(k: string): Node | undefined {
    return this.map.get(k)?.value as Node | undefined;
  }
  has(k: string): boolean {
    return this.map.has(k);
  }
}

export class StepReader {
  constructor(private readonly ctx: ScriptContext) {}

  steps(seq: unknown): Step[] {
    if (!isSeq(seq)) return [];
    return seq.items.map((item) => this.step(item as Node));
  }

  private duration(node: unknown, what: string): number {
    return this.ctx.duration(node, what);
  }

  private bool(node: unknown, what: string): boolean {
    return this.ctx.bool(node, what);
  }

  private step(node: Node): Step {
    const ctx: ScriptContext = this.ctx;
    const line = ctx.lineOf(node);
    if (isScalar(node)) {
      const word = ctx.str(node, 'a step');
      if (word === 'hangup') return { kind: 'hangup', line, label: 'hangup' };
      if ((STEP_KEYS as readonly string[]).includes(word)) ctx.fail(node, `${word} needs a value (${word}: ...)`);
      ctx.fail(node, `unknown step "${word}"${suggest(word)}`);
    }
    if (!isMap(node)) ctx.fail(node, 'a step is a mapping (wait_for: speech) or the word hangup');
    const map = node as YAMLMap;
    const stepPairs = map.items.filter((p) => (STEP_KEYS as readonly string[]).includes(ctx.str(p.key, 'a step')));
    if (stepPairs.length === 0) {
      const first = ctx.str(map.items[0]?.key, 'a step');
      ctx.fail(map.items[0]?.key as Node, `unknown step "${first}"${suggest(first)}`);
    }
    if (stepPairs.length > 1) ctx.fail(stepPairs[1]!.key as Node, `one step per list item: ${ctx.str(stepPairs[0]!.key, '')} and ${ctx.str(stepPairs[1]!.key, '')} are both here`);
    const sp = stepPairs[0]!;
    const key = ctx.str(sp.key, 'a step') as StepKey;
    const opts = new Options(ctx, key);
    for (const p of map.items) if (p !== sp) opts.add(p);
    const value = sp.value as Node | null;
    const named = (label: string): string => (opts.has('name') ? ctx.str(opts.get('name'), 'name') : label);
    switch (key) {
      case 'wait_for': return this.waitFor(value, opts, line, named);
      case 'expect': return this.expect(value, opts, line, named);
      case 'record': {
        const file = ctx.str(value, 'record:');
        const until = this.until(opts.get('until'));
        const freqs = opts.has('frequency') || opts.has('frequencies') ? this.frequencies(opts.get('frequency') ?? opts.get('frequencies')) : until.frequencies ?? [1000];
        const silenceMs = opts.has('silence') ? this.duration(opts.get('silence'), 'silence') : until.silenceMs ?? 1500;
        const digits = opts.has('digits') ? this.digits(opts.get('digits'), 'digits', false) : until.digits;
        return {
          kind: 'record', line, label: named(`record ${file}`), file, until: until.until,
          maxMs: opts.has('max') ? this.duration(opts.get('max'), 'max') : 60_000,
          silenceMs, frequencies: freqs, digits, stereo: opts.has('stereo') ? this.bool(opts.get('stereo'), 'stereo') : false,
        };
      }
      case 'play': {
        const { file, playback } = ctx.wav(value, 'play:');
        return {
          kind: 'play', line, label: named(`play ${ctx.str(value, 'play:')}`), file, playback,
          wait: opts.has('wait') ? this.bool(opts.get('wait'), 'wait') : true,
          loop: opts.has('loop') ? this.bool(opts.get('loop'), 'loop') : false,
        };
      }
      case 'dtmf': {
        const digits = this.digits(value, 'dtmf:', true);
        const mode = opts.has('mode') ? this.ctx.dtmfMode(opts.get('mode'), 'mode') : undefined;
        return { kind: 'dtmf', line, label: named(`dtmf ${digits}${mode ? ` (${mode})` : ''}`), digits, mode };
      }
      case 'pause': {
        const ms = this.duration(value, 'pause:');
        return { kind: 'pause', line, label: named(`pause ${ms / 1000} s`), ms };
      }
      case 'hangup':
        if (value !== null && !(isScalar(value) && (value.value === null || value.value === true)) && !(isMap(value) && value.items.length === 0)) ctx.fail(value, 'hangup takes no value');
        return { kind: 'hangup', line, label: named('hangup') };
    }
  }

  /** `wait_for: word` or `wait_for: { word: value, ...options }`. */
  private split(value: Node | null, opts: Options, what: string, kinds: string[]): { kind: string; arg: Node | undefined } {
    const ctx: ScriptContext = this.ctx;
    if (isScalar(value) && value.value !== null) {
      const kind = ctx.str(value, what);
      if (!kinds.includes(kind)) ctx.fail(value, `${what} ${kind}: unknown (${kinds.join(', ')})`);
      return { kind, arg: undefined };
    }
    if (isMap(value)) {
      const main = value.items.filter((p) => kinds.includes(ctx.str(p.key, what)));
      if (main.length !== 1) ctx.fail(value, `${what} takes one of ${kinds.join(', ')}`);
      for (const p of value.items) if (p !== main[0]) opts.add(p);
      return { kind: ctx.str(main[0]!.key, what), arg: main[0]!.value as Node };
    }
    ctx.fail(value, `${what} needs one of ${kinds.join(', ')}`);
  }

  private waitFor(value: Node | null, opts: Options, line: number, named: (l: string) => string): Step {
    const { kind, arg } = this.split(value, opts, 'wait_for', ['speech', 'silence', 'tone', 'dtmf', 'hangup', 'prompt']);
    const timeout = (dflt: number): number => (opts.has('timeout') ? this.duration(opts.get('timeout'), 'timeout') : dflt);
    const isNull = (n: Node | undefined): boolean => n === undefined || (isScalar(n) && n.value === null);
    switch (kind) {
      case 'speech':
        return { kind: 'wait_speech', line, label: named('wait_for speech'), timeoutMs: timeout(10_000) };
      case 'silence': {
        const minNode = !isNull(arg) ? arg : opts.get('min');
        const minMs = minNode ? this.duration(minNode, 'silence') : 1500;
        return { kind: 'wait_silence', line, label: named('wait_for silence'), minMs, timeoutMs: timeout(30_000) };
      }
      case 'tone': {
        const fnode = !isNull(arg) ? arg : opts.get('frequency') ?? opts.get('frequencies');
        const frequencies = fnode ? this.frequencies(fnode) : [1000];
        const minDurationMs = opts.has('min_duration') ? this.duration(opts.get('min_duration'), 'min_duration') : 100;
        return { kind: 'wait_tone', line, label: named(`wait_for tone ${frequencies.join('/')} Hz`), frequencies, minDurationMs, timeoutMs: timeout(30_000) };
      }
      case 'dtmf': {
        const dnode = !isNull(arg) ? arg : opts.get('digits');
        const digits = dnode ? this.digits(dnode, 'dtmf', false) : undefined;
        return { kind: 'wait_dtmf', line, label: named(`wait_for dtmf${digits ? ` ${digits}` : ''}`), digits, timeoutMs: timeout(10_000) };
      }
      case 'hangup':
        return { kind: 'wait_hangup', line, label: named('wait_for hangup'), timeoutMs: timeout(30_000) };
      default: {
        if (isNull(arg)) this.ctx.fail(value, 'wait_for prompt needs the reference WAV: wait_for: { prompt: file.wav }');
        const { file, audio } = this.ctx.wav(arg, 'prompt');
        return { kind: 'wait_prompt', line, label: named(`wait_for prompt ${this.ctx.str(arg, 'prompt')}`), file, audio, threshold: this.threshold(opts), timeoutMs: timeout(30_000) };
      }
    }
  }

  private expect(value: Node | null, opts: Options, line: number, named: (l: string) => string): Step {
    const ctx: ScriptContext = this.ctx;
    if (isMap(value) && value.items.some((p) => Object.prototype.hasOwnProperty.call(QUALITY_METRICS, ctx.str(p.key, 'expect')))) {
      return this.expectQuality(value, line, named);
    }
    const { kind, arg } = this.split(value, opts, 'expect', ['sip', 'dtmf', 'prompt', 'hangup']);
    const timeout = (dflt: number): number => (opts.has('timeout') ? this.duration(opts.get('timeout'), 'timeout') : dflt);
    switch (kind) {
      case 'sip': {
        if (!arg) ctx.fail(value, 'expect sip needs the status: expect: { sip: 200 } or { sip: [302, 200] }');
        const items = isSeq(arg) ? arg.items : [arg];
        const statuses = items.map((n) => {
          const s = Number(ctx.str(n, 'a SIP status'));
          if (!Number.isInteger(s) || s < 100 || s > 699) ctx.fail(n as Node, `${ctx.str(n, '')} is not a SIP status (100-699)`);
          return s;
        });
        return { kind: 'expect_sip', line, label: named(`expect sip ${statuses.join(' → ')}`), statuses, chain: isSeq(arg) };
      }
      case 'dtmf': {
        if (!arg) ctx.fail(value, 'expect dtmf needs the digits: expect: { dtmf: "1" }');
        const digits = this.digits(arg, 'dtmf', false);
        return { kind: 'expect_dtmf', line, label: named(`expect dtmf ${digits}`), digits, timeoutMs: timeout(10_000) };
      }
      case 'prompt': {
        if (!arg) ctx.fail(value, 'expect prompt needs the reference WAV: expect: { prompt: file.wav }');
        const { file, audio } = ctx.wav(arg, 'prompt');
        return {
          kind: 'expect_prompt', line, label: named(`expect prompt ${ctx.str(arg, 'prompt').replace(/^.*\//, '')}`), file, audio,
          threshold: this.threshold(opts), marginMs: opts.has('margin') ? this.duration(opts.get('margin'), 'margin') : undefined, timeoutMs: timeout(10_000),
        };
      }
      default:
        return { kind: 'expect_hangup', line, label: named('expect hangup'), timeoutMs: timeout(30_000) };
    }
  }

  /** `expect: { mos: ">= 4.0", loss: "< 1%" }`: every key a quality metric, every value a threshold. */
  private expectQuality(value: YAMLMap, line: number, named: (l: string) => string): Step {
    const ctx: ScriptContext = this.ctx;
    const entries: Record<string, unknown> = {};
    for (const p of value.items) {
      const k = ctx.str(p.key, 'expect');
      const v = p.value as Node | null;
      if (!isScalar(v)) ctx.fail((v ?? p.key) as Node, `expect ${k}: write one threshold, e.g. ${k}: "${k === 'one_way_audio' ? 'false' : '>= 4.0'}"`);
      if (!Object.prototype.hasOwnProperty.call(QUALITY_METRICS, k)) {
        ctx.fail(p.key as Node, `expect: "${k}" is not a quality metric (${Object.keys(QUALITY_METRICS).join(', ')}); sip, dtmf, prompt and hangup go in their own expect step`);
      }
      entries[k] = typeof v.value === 'string' || typeof v.value === 'boolean' ? v.value : String(v.value);
    }
    const parsed = parseQualityExpectations(entries);
    if ('error' in parsed) ctx.fail(value, `expect: ${parsed.error}`);
    const label = `expect ${parsed.map((t) => `${t.metric} ${t.source}`).join(', ')}`;
    return { kind: 'expect_quality', line, label: named(label), thresholds: parsed };
  }

  private until(node: Node | undefined): { until: RecordUntil; silenceMs?: number; frequencies?: number[]; digits?: string } {
    if (!node) return { until: 'max' };
    const opts = new Options(this.ctx, 'record');
    const { kind, arg } = this.split(node, opts, 'until', ['silence', 'tone', 'dtmf', 'hangup', 'max']);
    const r: { until: RecordUntil; silenceMs?: number; frequencies?: number[]; digits?: string } = { until: kind as RecordUntil };
    if (arg && !(isScalar(arg) && arg.value === null)) {
      if (kind === 'silence') r.silenceMs = this.duration(arg, 'until silence');
      else if (kind === 'tone') r.frequencies = this.frequencies(arg);
      else if (kind === 'dtmf') r.digits = this.digits(arg, 'until dtmf', false);
    }
    return r;
  }

  private frequencies(node: Node | undefined): number[] {
    const items = isSeq(node) ? node.items : [node];
    return items.map((n) => {
      const f = Number(this.ctx.str(n, 'a frequency').replace(/\s*hz$/i, ''));
      if (!Number.isFinite(f) || f < 50 || f > 3900) this.ctx.fail(n as Node, `${this.ctx.str(n, '')} is not a frequency a phone line carries (50-3900 Hz)`);
      return f;
    });
  }

  private digits(node: unknown, what: string, allowPause: boolean): string {
    const s = this.ctx.str(node, what);
    if (s.length === 0) this.ctx.fail(node as Node, `${what} needs at least one digit`);
    for (const ch of s) {
      if (allowPause && ch === ',') continue;
      if (!parseKey(ch)) this.ctx.fail(node as Node, `${what} "${s}": "${ch}" is not a DTMF key (0-9, *, #, A-D${allowPause ? ', "," for a pause' : ''})`);
    }
    return s.toUpperCase();
  }

  private threshold(opts: Options): number | undefined {
    if (!opts.has('threshold')) return undefined;
    const t = Number(this.ctx.str(opts.get('threshold'), 'threshold'));
    if (!(t > 0 && t <= 1)) this.ctx.fail(opts.get('threshold'), 'threshold must be a number in (0, 1]');
    return t;
  }
}

/** "did you mean" for a mistyped step name (edit distance ≤ 2). */
function suggest(word: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of STEP_KEYS) {
    const d = editDistance(word, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best ? ` (did you mean "${best}"?)` : ` (steps: ${STEP_KEYS.join(', ')})`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      // Transposition ("wiat" for "wait") counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
