/**
 * A small RFC 4180 CSV reader for `foreach: { csv: mailboxes.csv }`: the header row names the
 * variables, each further row is one iteration. Quoted fields may hold commas, doubled quotes and
 * line breaks; CRLF and LF both end records; blank lines and lines starting with # are skipped.
 */
export class CsvError extends Error {
  constructor(readonly line: number, reason: string) {
    super(reason);
  }
}

export interface CsvRow {
  /** Line of the record in the file (1-based). */
  line: number;
  values: Record<string, string>;
}

function records(text: string): Array<{ line: number; fields: string[] }> {
  const out: Array<{ line: number; fields: string[] }> = [];
  let line = 1;
  let i = 0;
  const t = text.replace(/^\uFEFF/, '');
  while (i < t.length) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    for (; i < t.length; i++) {
      const c = t[i]!;
      if (quoted) {
        if (c === '"' && t[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && t[i + 1] === '\n') i++;
        i++;
        line++;
        break;
      } else {
        field += c;
        atFieldStart = false;
      }
    }
    if (quoted) throw new CsvError(startLine, 'a quoted field is not closed');
    fields.push(field);
    const blank = fields.length === 1 && fields[0]!.trim() === '';
    if (!blank && !fields[0]!.startsWith('#')) out.push({ line: startLine, fields });
  }
  return out;
}

export function parseCsv(text: string): { header: string[]; rows: CsvRow[] } {
  const recs = records(text);
  if (recs.length === 0) throw new CsvError(1, 'the file is empty (the first row names the variables)');
  const header = recs[0]!.fields.map((h) => h.trim());
  header.forEach((h, k) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(h)) throw new CsvError(recs[0]!.line, `column ${k + 1} header "${h}" is not a variable name`);
  });
  const rows = recs.slice(1).map((r) => {
    if (r.fields.length !== header.length) throw new CsvError(r.line, `${r.fields.length} fields where the header has ${header.length}`);
    const values: Record<string, string> = {};
    header.forEach((h, k) => { values[h] = r.fields[k]!.trim(); });
    return { line: r.line, values };
  });
  return { header, rows };
}
