/**
 * The holder table of the CAS replicator: which nodes said they hold which blob
 * (`blob_announce`), and the blob's size. Fed by announces (this node's own included) and
 * pruned when membership declares a node dead, so placement and repair only ever count
 * holders that can still answer.
 */

/** One blob as the table knows it. */
export interface HeldBlob {
  hash: string;
  size: number;
  /** Nodes that announced it, in the order they were first heard. */
  holders: string[];
}

export class HolderTable {
  readonly #blobs = new Map<string, { size: number; holders: Map<string, number> }>();
  readonly #byNode = new Map<string, Set<string>>();

  /** Records that `node` holds `hash` (heard at `at`); true when this is news. */
  add(hash: string, node: string, size: number, at: number): boolean {
    let blob = this.#blobs.get(hash);
    if (blob === undefined) {
      blob = { size, holders: new Map() };
      this.#blobs.set(hash, blob);
    }
    const known = blob.holders.has(node);
    blob.holders.set(node, at);
    let hashes = this.#byNode.get(node);
    if (hashes === undefined) {
      hashes = new Set();
      this.#byNode.set(node, hashes);
    }
    hashes.add(hash);
    return !known;
  }

  /** Forgets that `node` holds `hash`. */
  remove(hash: string, node: string): void {
    const blob = this.#blobs.get(hash);
    blob?.holders.delete(node);
    if (blob?.holders.size === 0) this.#blobs.delete(hash);
    this.#byNode.get(node)?.delete(hash);
  }

  /** Forgets every blob of `node` (declared dead); returns the hashes it held. */
  dropNode(node: string): string[] {
    const hashes = [...(this.#byNode.get(node) ?? [])];
    for (const hash of hashes) this.remove(hash, node);
    this.#byNode.delete(node);
    return hashes;
  }

  /** Nodes that hold `hash`, first heard first. */
  holders(hash: string): string[] {
    return [...(this.#blobs.get(hash)?.holders.keys() ?? [])];
  }

  /** The size announced for `hash`. */
  size(hash: string): number | undefined {
    return this.#blobs.get(hash)?.size;
  }

  /** Nodes the table knows holders of. */
  nodes(): string[] {
    return [...this.#byNode.keys()].filter((node) => (this.#byNode.get(node)?.size ?? 0) > 0);
  }

  /** Every blob with at least one holder. */
  *blobs(): IterableIterator<HeldBlob> {
    for (const [hash, blob] of this.#blobs)
      yield { hash, size: blob.size, holders: [...blob.holders.keys()] };
  }

  get blobCount(): number {
    return this.#blobs.size;
  }
}
