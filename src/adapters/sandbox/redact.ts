/**
 * Secret redaction: every string a sandbox returns or logs (output, commands, error text)
 * passes through a `Redactor` built from the secrets handed to that sandbox, so a token the
 * push step needed never shows up in a result, a log line or an audit entry.
 */

/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are ignored: redacting "a" would mangle every output. */
export const MIN_SECRET_LENGTH = 4;

export class Redactor {
  readonly #secrets: readonly string[];
  /** The longest secret, so a caller can keep enough bytes to redact across a cut. */
  readonly longest: number;

  constructor(secrets: Iterable<string> = []) {
    const unique = new Set<string>();
    for (const s of secrets) if (typeof s === 'string' && s.length >= MIN_SECRET_LENGTH) unique.add(s);
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets = [...unique].sort((a, b) => b.length - a.length);
    this.longest = this.#secrets.reduce((max, s) => Math.max(max, Buffer.byteLength(s)), 0);
  }

  /** True when there is nothing to redact. */
  get empty(): boolean {
    return this.#secrets.length === 0;
  }

  /** A redactor knowing these secrets and this one's. */
  with(secrets: Iterable<string>): Redactor {
    return new Redactor([...this.#secrets, ...secrets]);
  }

  /** The text with every secret replaced by {@link REDACTED}. */
  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Redacts every string inside a JSON-like value (for log fields). */
  redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out;
    }
    return value;
  }
}
