/** BLAKE3-256 of entry blobs on this thread: one hash-wasm hasher, made once, reused. */
import { createBLAKE3 } from 'hash-wasm';

/** A synchronous hex BLAKE3-256 of small inputs. */
export type Blake3 = (bytes: Uint8Array) => string;

export async function blake3(): Promise<Blake3> {
  const hasher = await createBLAKE3(256);
  return (bytes) => {
    hasher.init();
    hasher.update(bytes);
    return hasher.digest('hex');
  };
}

/** Offsets of a chain's records in the journal, by seq (8 bytes each). */
export class OffsetTable {
  #offsets = new Float64Array(1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(offset: number): void {
    if (this.#length === this.#offsets.length) {
      const grown = new Float64Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#offsets[this.#length++] = offset;
  }

  /** The offset of entry `seq` (1-based), undefined past the end. */
  of(seq: number): number | undefined {
    return seq >= 1 && seq <= this.#length ? this.#offsets[seq - 1] : undefined;
  }

  clear(): void {
    this.#length = 0;
  }
}
