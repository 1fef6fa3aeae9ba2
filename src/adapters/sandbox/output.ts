/**
 * A capped output collector: keeps the first `limit` bytes of a stream (plus enough to
 * redact a secret cut at the limit), counts the rest, and renders the kept text redacted
 * with a truncation marker. Endless output costs bounded memory.
 */
import type { Redactor } from './redact.js';

/** Appended to capped output; says how many bytes were dropped. */
export function truncationMarker(dropped: number): string {
  return `\n[bzzz: output truncated, ${dropped} bytes dropped]\n`;
}

export class CappedOutput {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #total = 0;
  readonly #keep: number;

  constructor(
    readonly limit: number,
    readonly redactor: Redactor,
  ) {
    this.#keep = limit + redactor.longest;
  }

  /** Bytes seen so far, kept or not. */
  get total(): number {
    return this.#total;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    const room = this.#keep - this.#kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.#chunks.push(Buffer.from(part));
    this.#kept += part.length;
  }

  get truncated(): boolean {
    return this.#total > this.limit;
  }

  /** The kept text, redacted, cut to the limit, with a marker when bytes were dropped. */
  text(): string {
    const raw = Buffer.concat(this.#chunks);
    if (!this.truncated) return this.redactor.redact(raw.toString('utf8'));
    // Redact before cutting, so a secret straddling the limit is not half shown.
    const redacted = Buffer.from(this.redactor.redact(raw.toString('utf8')), 'utf8');
    const cut = redacted
      .subarray(0, this.limit)
      .toString('utf8')
      .replace(/\uFFFD+$/, '');
    return cut + truncationMarker(this.#total - this.limit);
  }
}
