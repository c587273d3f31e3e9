import { describe, expect, it } from 'vitest';
import { EXIT_CODES_HELP, ExitCode, exitCodeForEnd, exitCodeForStatus } from '../../../src/cli/exit-codes.js';
import type { CallEndReason } from '../../../src/phone/end-reason.js';

const rejected = (status: number): CallEndReason => ({ kind: 'rejected', by: 'remote', status, reason: '' });

describe('exit codes', () => {
  it.each([
    [rejected(486), 4], [rejected(600), 4], [rejected(404), 3], [rejected(403), 3], [rejected(480), 3],
    [rejected(500), 3], [rejected(603), 3], [rejected(408), 7], [rejected(503), 8], [rejected(380), 6],
    [{ kind: 'no-codec', by: 'remote', status: 488, message: '488' }, 5],
    [{ kind: 'no-codec', by: 'local', status: 200, message: 'the answer cannot be used' }, 5],
    [{ kind: 'srtp', by: 'local', status: 200, message: 'SRTP: the answer has no crypto attribute' }, 5],
    [{ kind: 'redirect', problem: 'loop', status: 302, message: 'redirect loop' }, 6],
    [{ kind: 'timeout', timer: 'B', message: '408' }, 7],
    [{ kind: 'transport', message: '503' }, 8],
    [{ kind: 'cancelled', by: 'local' }, 130],
    [{ kind: 'error', message: 'no RTP port' }, 1],
  ] as Array<[CallEndReason, number]>)('not answered, %j → %i', (end, code) => {
    expect(exitCodeForEnd(end, false)).toBe(code);
  });

  it.each([
    [{ kind: 'hangup', by: 'local' }, 0],
    [{ kind: 'hangup', by: 'remote' }, 0],
    [{ kind: 'media-timeout', after: 30_000 }, 1],
    [{ kind: 'timeout', timer: 'session', message: 'the session timer expired' }, 1],
    [{ kind: 'transport', message: 'connection reset' }, 1],
    [{ kind: 'error', message: 'dialog abandoned' }, 1],
  ] as Array<[CallEndReason, number]>)('answered, %j → %i', (end, code) => {
    expect(exitCodeForEnd(end, true)).toBe(code);
  });

  it('a rejection without a status is a rejection', () => {
    expect(exitCodeForStatus(undefined)).toBe(ExitCode.rejected);
  });

  it('documents every code in the help text', () => {
    for (const code of Object.values(ExitCode)) expect(EXIT_CODES_HELP).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });
});
