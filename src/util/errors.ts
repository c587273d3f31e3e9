/**
 * Base class of every error umphone raises on purpose: a readable message (one sentence, for people)
 * and a stable `code` (for programs: one per subclass, never changed in meaning once released).
 */
export class UmphoneError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A value a person typed (a codec, a DTMF mode, a URI scheme, a duration) that its parser does not
 * know. It carries the spellings that would have been accepted, so that each front end (the command
 * line, a script, the menus file) can report it in its own terms: a usage error, a line number, a key.
 */
export class SpellingError extends UmphoneError {
  constructor(message: string, code: string, readonly input: string, readonly accepted: readonly string[]) {
    super(message, code);
  }
}
