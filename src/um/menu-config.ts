/**
 * The menus of the UM server, read from YAML (the `yaml` package) and checked before the server
 * starts: every error names the key that is wrong, so `umphone serve --menus x.yaml` fails at once
 * with one sentence rather than in the middle of a call. Timeouts and transfer targets are read by
 * the parsers the command line and scripts use (util/duration, sip/message/uri-scheme).
 */
import { parse as parseYaml } from 'yaml';
import { parseSipAddress, writtenScheme } from '../sip/message/index.js';
import { parseDuration } from '../util/duration.js';
import { SpellingError, UmphoneError } from '../util/errors.js';
import { DEFAULT_MENUS_YAML } from './default-menus.js';

export class MenuConfigError extends UmphoneError {
  constructor(message: string) {
    super(message, 'UM_MENU_CONFIG');
  }
}

export interface MailboxConfig {
  extension: string;
  name: string;
  pin: string;
  /** Prompt played by call answering before the beep. */
  greeting: string;
}

export interface AutoAttendantOption {
  digit: string;
  /** Extension number or SIP URI to transfer to. */
  transfer: string;
  name: string;
}

export interface MenuTimeouts {
  firstDigitMs: number;
  interDigitMs: number;
  silenceMs: number;
  noSpeechMs: number;
  maxMessageMs: number;
}

export interface MenuConfig {
  /** Prompts folder as written (resolved by the server against the package root). */
  prompts: string;
  pilot: string;
  timeouts: MenuTimeouts;
  maxRetries: number;
  mailboxes: Map<string, MailboxConfig>;
  /** Called number → extension or URI, answered 302 before answering. */
  forwards: Map<string, string>;
  autoAttendant?: { number: string; prompt: string; options: Map<string, AutoAttendantOption> };
}

const DEFAULT_TIMEOUTS: MenuTimeouts = {
  firstDigitMs: 5000, interDigitMs: 5000, silenceMs: 3000, noSpeechMs: 10_000, maxMessageMs: 120_000,
};

const DTMF_KEY = /^[0-9*#A-D]$/;
const NUMBER = /^[0-9A-Za-z+*#._-]+$/;

/** Parse menus YAML (the built-in default when `text` is undefined). */
export function parseMenuConfig(text: string = DEFAULT_MENUS_YAML, source = 'the built-in menus'): MenuConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new MenuConfigError(`${source} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const root = asObject(doc, 'the document', source);
  const known = new Set(['prompts', 'pilot', 'timeouts', 'maxRetries', 'mailboxes', 'forwards', 'autoAttendant']);
  for (const k of Object.keys(root)) if (!known.has(k)) throw new MenuConfigError(`${source}: unknown key "${k}"`);

  const timeouts = { ...DEFAULT_TIMEOUTS };
  if (root.timeouts !== undefined) {
    const t = asObject(root.timeouts, 'timeouts', source);
    for (const [k, v] of Object.entries(t)) {
      if (!(k in DEFAULT_TIMEOUTS)) throw new MenuConfigError(`${source}: unknown key "timeouts.${k}"`);
      timeouts[k as keyof MenuTimeouts] = durationOf(v, `timeouts.${k}`, source);
    }
  }
  const maxRetries = root.maxRetries ?? 3;
  if (typeof maxRetries !== 'number' || !Number.isInteger(maxRetries) || maxRetries < 1) {
    throw new MenuConfigError(`${source}: maxRetries must be a whole number of at least 1`);
  }

  const mailboxes = new Map<string, MailboxConfig>();
  const mb = root.mailboxes === undefined ? {} : asObject(root.mailboxes, 'mailboxes', source);
  for (const [ext, raw] of Object.entries(mb)) {
    if (!NUMBER.test(ext)) throw new MenuConfigError(`${source}: mailbox "${ext}" is not an extension number`);
    const m = asObject(raw, `mailboxes.${ext}`, source);
    const pin = stringOf(m.pin, `mailboxes.${ext}.pin`, source);
    if (!/^[0-9]{1,16}$/.test(pin)) throw new MenuConfigError(`${source}: mailboxes.${ext}.pin must be 1 to 16 digits`);
    mailboxes.set(ext, {
      extension: ext,
      name: m.name === undefined ? `Extension ${ext}` : stringOf(m.name, `mailboxes.${ext}.name`, source),
      pin,
      greeting: m.greeting === undefined ? `greeting-${ext}` : stringOf(m.greeting, `mailboxes.${ext}.greeting`, source),
    });
  }

  const forwards = new Map<string, string>();
  if (root.forwards !== undefined) {
    for (const [num, to] of Object.entries(asObject(root.forwards, 'forwards', source))) {
      forwards.set(num, targetOf(to, `forwards.${num}`, source));
    }
  }

  const config: MenuConfig = {
    prompts: root.prompts === undefined ? 'audio/prompts' : stringOf(root.prompts, 'prompts', source),
    pilot: stringOf(root.pilot ?? '6000', 'pilot', source),
    timeouts,
    maxRetries,
    mailboxes,
    forwards,
  };
  if (root.autoAttendant !== undefined) {
    const aa = asObject(root.autoAttendant, 'autoAttendant', source);
    const options = new Map<string, AutoAttendantOption>();
    for (const [digit, raw] of Object.entries(asObject(aa.options ?? {}, 'autoAttendant.options', source))) {
      if (!DTMF_KEY.test(digit)) throw new MenuConfigError(`${source}: autoAttendant option "${digit}" is not a DTMF key`);
      const o = asObject(raw, `autoAttendant.options.${digit}`, source);
      const transfer = targetOf(o.transfer, `autoAttendant.options.${digit}.transfer`, source);
      options.set(digit, { digit, transfer, name: o.name === undefined ? transfer : stringOf(o.name, `autoAttendant.options.${digit}.name`, source) });
    }
    config.autoAttendant = {
      number: stringOf(aa.number, 'autoAttendant.number', source),
      prompt: aa.prompt === undefined ? 'auto-attendant' : stringOf(aa.prompt, 'autoAttendant.prompt', source),
      options,
    };
    if (config.autoAttendant.number === config.pilot) {
      throw new MenuConfigError(`${source}: autoAttendant.number must differ from the pilot number`);
    }
  }
  return config;
}

/** Every prompt name the menus refer to (the server checks each has a WAV before it starts). */
export function promptsUsed(config: MenuConfig): string[] {
  const names = new Set(['enter-extension', 'enter-pin', 'main-menu', 'no-more-messages', 'invalid', 'goodbye',
    'message-recorded', 'new-messages-0', 'new-messages-1', 'new-messages-2', 'new-messages-3', 'transferring']);
  for (const m of config.mailboxes.values()) names.add(m.greeting);
  if (config.autoAttendant) names.add(config.autoAttendant.prompt);
  return [...names];
}

function asObject(v: unknown, what: string, source: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MenuConfigError(`${source}: ${what} must be a mapping`);
  return v as Record<string, unknown>;
}

/** A number of ms (5000) or a duration with its unit ("5s"), > 0. */
function durationOf(v: unknown, what: string, source: string): number {
  let ms: number | undefined;
  try {
    if (typeof v === 'number' || typeof v === 'string') ms = parseDuration(String(v), { bareUnit: 'ms' });
  } catch (e) {
    if (typeof v === 'string' && e instanceof SpellingError) throw new MenuConfigError(`${source}: ${what}: ${e.message}`);
    if (!(e instanceof SpellingError)) throw e;
  }
  if (ms === undefined || ms <= 0) throw new MenuConfigError(`${source}: ${what} must be a positive number of milliseconds`);
  return ms;
}

/** An extension number, or a SIP URI (sip:, sips:); a URI of another scheme is refused. */
function targetOf(v: unknown, what: string, source: string): string {
  const s = stringOf(v, what, source);
  if (writtenScheme(s) === undefined) return s;
  try {
    parseSipAddress(s);
  } catch (e) {
    throw new MenuConfigError(`${source}: ${what}: ${(e as Error).message}`);
  }
  return s;
}

/** YAML reads 613 as a number: accept numbers where a number string is meant. */
function stringOf(v: unknown, what: string, source: string): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v !== 'string' || v.length === 0) throw new MenuConfigError(`${source}: ${what} must be a non-empty string`);
  return v;
}
