import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';

describe('ManualClock', () => {
  it('fires timers in deadline order, including ones set while firing', () => {
    const c = new ManualClock();
    const log: string[] = [];
    c.setTimeout(() => log.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      log.push(`a@${c.now()}`);
      c.setTimeout(() => log.push(`c@${c.now()}`), 5);
    }, 10);
    const x = c.setTimeout(() => log.push('never'), 15);
    x.cancel();
    c.advance(14);
    expect(log).toEqual(['a@10']);
    c.advance(100);
    expect(log).toEqual(['a@10', 'c@15', 'b@20']);
    expect(c.now()).toBe(114);
    expect(c.pendingCount).toBe(0);
  });
});
