/**
 * Variable substitution in script strings: `${name}` is replaced by the variable's value, `$${` is a
 * literal `${`. Variables come from `vars:`, the current `foreach` row, `${iteration}` (1-based) and
 * `${env.NAME}` (the environment). An unknown name is an error, never an empty string: a typo in a
 * mailbox number must not dial the wrong mailbox.
 */
export type Vars = Readonly<Record<string, string>>;

export class UnknownVariableError extends Error {
  constructor(readonly variable: string, known: string[]) {
    super(`unknown variable \${${variable}}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`);
  }
}

export function substitute(text: string, vars: Vars, env: Readonly<Record<string, string | undefined>> = {}): string {
  return text.replace(/\$\$\{|\$\{([^}]*)\}/g, (whole, name: string | undefined) => {
    if (whole === '$${') return '${';
    const n = name!.trim();
    if (n.startsWith('env.')) {
      const v = env[n.slice(4)];
      if (v === undefined) throw new UnknownVariableError(n, []);
      return v;
    }
    const v = vars[n];
    if (v === undefined) throw new UnknownVariableError(n, Object.keys(vars));
    return v;
  });
}
