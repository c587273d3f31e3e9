/** Base class of every error umphone raises on purpose: a readable message and a stable code. */
export class UmphoneError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}
