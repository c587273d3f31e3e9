/**
 * Escaping for the HTML report. Everything drawn from a call — SIP text, URIs, reason phrases, display
 * names, file names — came from the network or the user, so every piece of text goes through `esc`
 * (element content and quoted attributes alike); nothing is ever inserted as markup.
 */

/** Text safe in element content and in a double- or single-quoted attribute value. */
export function esc(value: string | number): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** ` name="value"`, escaped. */
export function attr(name: string, value: string | number): string {
  return ` ${name}="${esc(value)}"`;
}

/**
 * JSON for an inline <script type="application/json">: `<` is written as \u003c so no text can close
 * the script element (`</script>`) or open a comment, whatever the SIP messages contain.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** "12.345 s" from ms. */
export function secs(ms: number, digits = 3): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}
