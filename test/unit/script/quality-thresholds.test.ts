/**
 * Quality thresholds as a script writes them: parsed into typed predicates (units checked against the
 * metric), applied to measured figures, every outcome naming the figure.
 */
import { describe, expect, it } from 'vitest';
import {
  checkQualityThreshold,
  parseQualityExpectations,
  parseQualityThreshold,
  type QualityThreshold,
} from '../../../src/script/quality-thresholds.js';

function parsed(metric: string, spec: unknown): QualityThreshold {
  const t = parseQualityThreshold(metric, spec);
  if ('error' in t) throw new Error(t.error);
  return t;
}

describe('quality thresholds', () => {
  it('parses the expect block of issue 17', () => {
    expect(parseQualityExpectations({ mos: '>= 4.0', post_dial_delay: '< 2s', loss: '< 1%', one_way_audio: false })).toEqual([
      { metric: 'mos', kind: 'compare', op: '>=', value: 4, unit: 'score', source: '>= 4.0' },
      { metric: 'post_dial_delay', kind: 'compare', op: '<', value: 2000, unit: 'duration', source: '< 2s' },
      { metric: 'loss', kind: 'compare', op: '<', value: 1, unit: 'percent', source: '< 1%' },
      { metric: 'one_way_audio', kind: 'boolean', value: false, source: 'false' },
    ]);
  });

  it.each([
    ['mos', '>= 4.0', 4.21, true, 'mos 4.21 >= 4.0'],
    ['mos', '>= 4.0', 3.87, false, 'mos 3.87 is not >= 4.0'],
    ['mos', '>=4', 4, true, 'mos 4 >=4'],
    ['r_factor', '> 80', 79.996, false, 'r_factor 79.996 is not > 80'],
    ['r_factor', '> 80', 80.001, true, 'r_factor 80.001 > 80'],
    ['post_dial_delay', '< 2s', 2400, false, 'post_dial_delay 2.4s is not < 2s'],
    ['post_dial_delay', '< 2s', 850, true, 'post_dial_delay 850ms < 2s'],
    ['jitter', '<= 30ms', 30, true, 'jitter 30ms <= 30ms'],
    ['rtt', '< 1.5s', 1500, false, 'rtt 1.5s is not < 1.5s'],
    ['loss', '< 1%', 1.6, false, 'loss 1.6% is not < 1%'],
    ['loss', '< 1%', 0, true, 'loss 0% < 1%'],
    ['burst_ratio', '== 1', 1, true, 'burst_ratio 1 == 1'],
    ['loss', '!= 0%', 0, false, 'loss 0% is not != 0%'],
  ])('%s %s with %d measured: %s', (metric, spec, actual, ok, message) => {
    expect(checkQualityThreshold(parsed(metric, spec), actual)).toEqual({ metric, ok, actual, message });
  });

  it('one_way_audio: false passes when none was found and names it when it was', () => {
    const t = parsed('one_way_audio', false);
    expect(checkQualityThreshold(t, false)).toMatchObject({ ok: true, message: 'one_way_audio is false' });
    expect(checkQualityThreshold(t, true)).toMatchObject({ ok: false, message: 'one_way_audio is true, expected false' });
    expect(parsed('one_way_audio', 'true').kind).toBe('boolean');
  });

  it('a figure that was not measured fails and says so', () => {
    expect(checkQualityThreshold(parsed('mos', '>= 4.0'), undefined)).toEqual({
      metric: 'mos',
      ok: false,
      actual: undefined,
      message: 'mos was not measured (expected >= 4.0)',
    });
  });

  it.each([
    ['moss', '>= 4', 'unknown quality metric "moss" (known: mos, r_factor, burst_ratio, loss, jitter, rtt, post_dial_delay, answer_delay, one_way_audio)'],
    ['mos', '4.0', 'mos: "4.0" needs a comparison (<, <=, >, >=, ==, !=), e.g. ">= 4.0"'],
    ['mos', 4, 'mos: write a comparison in quotes, e.g. mos: ">= 4.0"'],
    ['mos', '>= high', 'mos: "high" is not a number'],
    ['loss', '< 1', 'loss: "1" is not a percentage (write 1%)'],
    ['loss', '< few', 'loss: "few" is not a percentage (write 1%)'],
    ['post_dial_delay', '< 2', 'post_dial_delay: "2" needs a unit (2s or 2ms)'],
    ['post_dial_delay', '< soon', 'post_dial_delay: "soon" is not a duration (write 5s, 1.5s, 500ms or 2m)'],
    ['one_way_audio', 'no', 'one_way_audio: "no" is not true or false'],
  ])('refuses %s: %j', (metric, spec, error) => {
    expect(parseQualityThreshold(metric, spec)).toEqual({ error });
  });

  it('reports the first bad entry of an expect block', () => {
    expect(parseQualityExpectations({ mos: '>= 4', loss: '< 1' })).toEqual({ error: 'loss: "1" is not a percentage (write 1%)' });
  });
});
