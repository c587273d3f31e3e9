/** Shared helpers of the conformance suites: read the conformance fixtures copied into test/fixtures/conformance. */
import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'vitest';
import {
  parseMessage, tryParseMessage, validateRequest, SipParseError, type SipMessage, type SipRequest,
  type SipResponse, type ValidateOptions,
} from '../../src/sip/message/index.js';

export const CONFORMANCE = new URL('../fixtures/conformance/', import.meta.url);

export function fixture(path: string): Buffer {
  return readFileSync(new URL(path, CONFORMANCE));
}

export function listFixtures(dir: string, ext: string): string[] {
  return readdirSync(new URL(dir, CONFORMANCE)).filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length));
}

/** MANIFEST.tsv rows as objects keyed by the header row. */
export function manifest(dir: string): Array<Record<string, string>> {
  const lines = readFileSync(new URL(`${dir}/MANIFEST.tsv`, CONFORMANCE), 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = lines[0]!.split('\t');
  return lines.slice(1).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])));
}

/** What this phone implements when it acts as a UAS (the UM server and the phone's own UAS). */
export const UAS: ValidateOptions = {
  supported: ['100rel', 'timer', 'replaces', 'path', 'gruu', 'outbound', 'sec-agree', 'precondition'],
  acceptTypes: ['application/sdp'],
  methods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'NOTIFY', 'REFER', 'MESSAGE', 'UPDATE', 'PRACK'],
};

export function parseOk(buf: Buffer): SipMessage {
  const r = tryParseMessage(buf);
  if (!r.ok) throw new Error(`expected a parse, got: ${r.error.message}`);
  return r.message;
}

export function request(buf: Buffer): SipRequest {
  const m = parseOk(buf);
  expect(m.kind).toBe('request');
  return m as SipRequest;
}

export function response(buf: Buffer): SipResponse {
  const m = parseOk(buf);
  expect(m.kind).toBe('response');
  return m as SipResponse;
}

export function parseError(buf: Buffer): SipParseError {
  try {
    parseMessage(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    return e as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

/** validateRequest's verdict as 'status reason', or 'accept'. */
export function verdict(req: SipRequest, opts: ValidateOptions = UAS): string {
  const res = validateRequest(req, opts);
  return res ? `${res.status} ${res.reason}` : 'accept';
}
