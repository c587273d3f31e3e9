import { describe, expect, it } from 'vitest';
import { EXIT_CODES_HELP, ExitCode, exitCodeForFailure, exitCodeForStatus } from '../../../src/cli/exit-codes.js';
import type { CallFailureKind } from '../../../src/phone/call.js';

describe('exit codes', () => {
  it.each([
    ['rejected', 486, 4], ['rejected', 600, 4], ['rejected', 404, 3], ['rejected', 403, 3], ['rejected', 480, 3],
    ['rejected', 500, 3], ['rejected', 603, 3], ['rejected', 408, 7], ['rejected', 503, 8], ['rejected', 380, 6],
    ['no-codec', 488, 5], ['no-codec', 606, 5], ['no-codec', 200, 5],
    ['redirect', 302, 6], ['timeout', 408, 7], ['transport', 503, 8], ['cancelled', 487, 130],
  ] as Array<[CallFailureKind, number, number]>)('%s %i → %i', (kind, status, code) => {
    expect(exitCodeForFailure(kind, status)).toBe(code);
  });

  it('a rejection without a status is a rejection', () => {
    expect(exitCodeForStatus(undefined)).toBe(ExitCode.rejected);
  });

  it('documents every code in the help text', () => {
    for (const code of Object.values(ExitCode)) expect(EXIT_CODES_HELP).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });
});
