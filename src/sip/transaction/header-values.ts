/**
 * The little raw-header reading the transaction layer needs on messages whose typed parse may fail
 * (a stateless 400 for a request the parser rejected still needs its Via, Call-ID and CSeq).
 */

/** Split a comma-separated header value at top-level commas (not inside quotes or <...>). */
export function splitListValue(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depthAngle++;
    else if (c === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (c === ',' && depthAngle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** The first element of a comma-separated header value (the top Via of a Via line). */
export function firstListValue(value: string): string {
  return splitListValue(value)[0] ?? '';
}

/** A header line of raw text (headers of a message that did not parse), unfolded. */
export interface RawHeader {
  name: string;
  value: string;
}

/** Read header lines from raw bytes, as far as they go; never throws. */
export function salvageHeaders(bytes: Buffer): { startLine: string; headers: RawHeader[] } {
  const text = bytes.toString('latin1');
  const endHead = text.search(/\r?\n\r?\n/);
  const head = endHead < 0 ? text : text.slice(0, endHead);
  const lines = head.split(/\r?\n/);
  const headers: RawHeader[] = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return { startLine: lines[0] ?? '', headers };
}
