/**
 * One batch of appends, signed: each entry linked to the one before (the chain as signed so
 * far, which may run ahead of the committed one while earlier batches are still being
 * written), its blob written straight into the batch's journal frames, and the head that will
 * cover it. Pure CPU work: the appender signs the next batch while the previous one's fsyncs
 * run, a slice at a time.
 */
import type { KeyObject } from 'node:crypto';
import { toError } from '../../lib/errors.js';
import {
  AuditEntrySigner,
  MAX_AUDIT_ENTRY_BYTES,
  signAuditHead,
  type SignedAuditHead,
} from '../../protocol/audit.js';
import type { Blake3 } from './hasher.js';
import { FRAME_HEADER } from './journal.js';
import type { AppendedEntry, AuditInput } from './types.js';

/** An append waiting in the queue. */
export interface Pending {
  input: AuditInput;
  resolve(entry: AppendedEntry): void;
  reject(error: Error): void;
}

/** One entry of a batch, signed. */
export interface Built {
  pending: Pending;
  /** Bytes of the entry's blob (framed in the batch's frames). */
  size: number;
  hash: string;
  seq: number;
}

export interface SignedBatch {
  /** The appender's epoch when signed: a batch signed before a failed write is refused. */
  epoch: number;
  at: string;
  built: Built[];
  frames: Buffer;
  head: SignedAuditHead;
}

export interface Signer {
  nodeId: string;
  privateKey: KeyObject;
  entries: AuditEntrySigner;
  hash: Blake3;
}

/** A typical entry's frame, to size the first buffer of a batch. */
const TYPICAL = 512;

/** Builds one batch: `add` a slice at a time, then `seal`. */
export class BatchBuilder {
  #frames: Buffer;
  #length = 0;
  readonly #entries: Built[] = [];

  constructor(
    private readonly signer: Signer,
    /** The chain as signed so far; moves on with each entry. */
    readonly after: { seq: number; last: string | null },
    readonly at: string,
    readonly epoch: number,
    expected: number,
  ) {
    this.#frames = Buffer.allocUnsafe(expected * TYPICAL + FRAME_HEADER + MAX_AUDIT_ENTRY_BYTES);
  }

  /** Signs `pendings` in order; an append that cannot be signed (too large, not JSON) is refused alone. */
  add(pendings: readonly Pending[], refuse: (pending: Pending, error: Error) => void): void {
    const { signer, after, at } = this;
    for (const pending of pendings) {
      const { kind, task, token, data } = pending.input;
      if (this.#frames.length - this.#length < FRAME_HEADER + MAX_AUDIT_ENTRY_BYTES) this.#grow();
      const offset = this.#length;
      try {
        const entry = {
          at,
          data,
          kind,
          node: signer.nodeId,
          prev: after.last,
          seq: after.seq + 1,
          task,
          token,
        };
        const size = signer.entries.write(entry, this.#frames, offset + FRAME_HEADER);
        this.#frames.writeUInt32LE(size, offset);
        const hash = signer.hash(this.#frames.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + size));
        after.seq += 1;
        after.last = hash;
        this.#entries.push({ pending, size, hash, seq: after.seq });
        this.#length += FRAME_HEADER + size;
      } catch (error) {
        refuse(pending, toError(error));
      }
    }
  }

  /** The batch, framed for the journal, with the head that will cover it; undefined when empty. */
  seal(): SignedBatch | undefined {
    const end = this.#entries.at(-1);
    if (end === undefined) return undefined;
    const frames = this.#frames.subarray(0, this.#length);
    const built = this.#entries;
    const { signer, at } = this;
    const head = signAuditHead({ at, hash: end.hash, node: signer.nodeId, seq: end.seq }, signer.privateKey);
    return { epoch: this.epoch, at, built, frames, head };
  }

  #grow(): void {
    const grown = Buffer.allocUnsafe(this.#frames.length * 2);
    this.#frames.copy(grown, 0, 0, this.#length);
    this.#frames = grown;
  }
}
