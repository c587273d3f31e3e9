import { describe, expect, it } from 'vitest';
import { substitute, UnknownVariableError } from '../../../src/script/vars.js';
import { parseCsv, CsvError } from '../../../src/script/csv.js';

describe('variables', () => {
  it('replaces ${name}, keeps $${ literal, reads ${env.X}', () => {
    expect(substitute('sip:${ext}@${ host }', { ext: '613', host: 'h' })).toBe('sip:613@h');
    expect(substitute('$${ext} costs $5', { ext: '1' })).toBe('${ext} costs $5');
    expect(substitute('${env.USER}', {}, { USER: 'me' })).toBe('me');
  });
  it('an unknown variable is an error naming the known ones', () => {
    expect(() => substitute('${extn}', { ext: '1', pin: '2' })).toThrow(new UnknownVariableError('extn', ['ext', 'pin']));
    expect(() => substitute('${extn}', { ext: '1' })).toThrow('unknown variable ${extn} (known: ext)');
  });
});

describe('CSV', () => {
  it('quotes, doubled quotes, line breaks in quotes, CRLF, BOM, blank and comment lines', () => {
    const { header, rows } = parseCsv('\uFEFFext,name\r\n613,"Smith, ""Jo"""\r\n\r\n614,"two\nlines"\n#615,x\n');
    expect(header).toEqual(['ext', 'name']);
    expect(rows).toEqual([{ line: 2, values: { ext: '613', name: 'Smith, "Jo"' } }, { line: 4, values: { ext: '614', name: 'two\nlines' } }]);
  });
  it('errors name the line', () => {
    expect(() => parseCsv('a,b\n1,2,3\n')).toThrow(new CsvError(2, '3 fields where the header has 2'));
    expect(() => parseCsv('a,b c\n')).toThrow('column 2 header "b c" is not a variable name');
    expect(() => parseCsv('a\n"open\n')).toThrow('a quoted field is not closed');
  });
});
