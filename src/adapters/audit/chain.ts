/**
 * The `fs` audit log: this node's chain under `<data_dir>/audit/`. Appends are serialized in
 * call order through one queue and committed in batches (group commit): each entry of a batch
 * is signed and linked to the one before, the batch's blobs are appended to the journal with
 * one fdatasync, then the newly signed head is moved into place atomically (temp file, fsync,
 * rename, directory fsync). A kill -9 at any point leaves the old head with, at most, bytes
 * past it in the journal, which the next start cuts off (recovery.ts). Committed entries are
 * then copied into the content store, pinned (publisher.ts). A log whose files make no chain
 * it can continue refuses appends and says why in `health()`; it never throws at start.
 */
import { mkdir } from 'node:fs/promises';
import { describeError, toError } from '../../lib/errors.js';
import { AuditEntrySigner, type SignedAuditHead } from '../../protocol/audit.js';
import { BatchBuilder, type Pending, type SignedBatch, type Signer } from './batch.js';
import { AuditClosedError, AuditIoError, AuditUnavailableError } from './errors.js';
import { auditPaths, type AuditPaths } from './files.js';
import { blake3, OffsetTable, type Blake3 } from './hasher.js';
import { headOnDisk, writeHeadFile } from './head-file.js';
import { FRAME_HEADER, type JournalWriter } from './journal.js';
import { CasPublisher } from './publisher.js';
import { openChain } from './recovery.js';
import { takeOwnership } from './owner.js';
import type * as T from './types.js';

/** Batches signed ahead of the last one written. */
const IN_FLIGHT = 2;
/** Entries signed between two turns of the event loop. */
const SLICE = 64;

export class FsAuditLog implements T.AuditLog {
  readonly nodeId: string;
  readonly paths: AuditPaths;
  readonly #c: T.AuditComponents;
  readonly #maxBatch: number;
  readonly #publisher: CasPublisher;
  readonly #offsets = new OffsetTable();
  readonly #listeners = new Set<(head: SignedAuditHead) => void>();
  #hash: Blake3 | undefined;
  #signer: Signer | undefined;
  #journal: JournalWriter | undefined;
  #seq = 0;
  #last: string | null = null;
  /** The chain as signed so far: ahead of `#seq` while batches are being written. */
  #signedSeq = 0;
  #signedLast: string | null = null;
  /** Bumped by a failed write: batches signed before it are void. */
  #epoch = 0;
  #length = 0;
  #head: SignedAuditHead | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #failure: AuditUnavailableError | undefined;
  #open = false;
  #release: (() => Promise<void>) | undefined;

  constructor(init: T.AuditInit, components: T.AuditComponents) {
    this.nodeId = init.nodeId;
    this.paths = auditPaths(init.dataDir);
    this.#c = components;
    this.#maxBatch = Math.max(1, init.maxBatch ?? 1024);
    this.#publisher = new CasPublisher(
      this.paths.published,
      { read: (from, to) => this.#readRange(from, to), busy: () => this.#queue.length > 0 },
      components,
      Math.max(1, init.publishConcurrency ?? 4),
    );
  }

  async start(): Promise<void> {
    if (this.#open) return;
    this.#failure = undefined;
    try {
      await this.#recover();
      await this.#publisher.start(this.#seq);
    } catch (error) {
      this.#failure = AuditUnavailableError.of(error, 'cannot open the audit files');
      this.#c.logger.error(
        { err: describeError(this.#failure) },
        'audit log unavailable: appends are refused',
      );
    }
    this.#open = true;
  }

  async stop(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    while (this.#draining !== undefined) await this.#draining;
    await this.#publisher.stop();
    await this.#journal?.close();
    this.#journal = undefined;
    await this.#release?.();
    this.#release = undefined;
  }

  append(input: T.AuditInput): Promise<T.AppendedEntry> {
    if (!this.#open) return Promise.reject(new AuditClosedError());
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#kick();
    });
  }

  head(): SignedAuditHead | undefined {
    return this.#head;
  }

  async hashAt(seq: number): Promise<string | undefined> {
    if (seq === this.#seq) return this.#last ?? undefined;
    const offset = this.#offsets.of(seq);
    if (offset === undefined || this.#journal === undefined || this.#hash === undefined) return undefined;
    return this.#hash(await this.#journal.record(offset));
  }

  subscribe(listener: (head: SignedAuditHead) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  health(): T.AuditHealth {
    const failure = this.#failure;
    return failure === undefined ? { status: 'ok' } : { status: 'failed', detail: failure.reason };
  }

  /** Entries up to this seq are in the content store. */
  get published(): number {
    return this.#publisher.published;
  }

  async #recover(): Promise<void> {
    await mkdir(this.paths.dir, { recursive: true });
    this.#release ??= await takeOwnership(this.paths.owner);
    this.#hash ??= await blake3();
    const { privateKey } = this.#c;
    this.#signer ??= {
      nodeId: this.nodeId,
      privateKey,
      entries: new AuditEntrySigner(privateKey),
      hash: this.#hash,
    };
    const { chain, journal } = await openChain(
      this.paths,
      this.nodeId,
      this.#hash,
      this.#offsets,
      this.#c.logger,
    );
    this.#journal = journal;
    this.#seq = this.#signedSeq = chain.seq;
    this.#last = this.#signedLast = chain.hash;
    this.#length = chain.length;
    this.#head = chain.head;
  }

  #kick(): void {
    if (this.#draining !== undefined) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#kick();
      // copies into the store wait while appends queue: they take the same thread
      else this.#publisher.advance(this.#seq);
    });
  }

  /**
   * Signs batches and writes them in order, signing the next while the last one's fsyncs run
   * (at most {@link IN_FLIGHT} batches signed and not yet written). Signing yields every
   * {@link SLICE} entries, so the write's steps (each needs this thread for a moment) go on.
   */
  async #drain(): Promise<void> {
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    await turn(); // the appends of this turn join the first batch
    const writes: Promise<void>[] = [];
    while (this.#queue.length > 0) {
      if (writes.length >= IN_FLIGHT) await writes.shift();
      const batch = this.#queue.splice(0, this.#maxBatch);
      if (this.#failure !== undefined) {
        for (const pending of batch) this.#refuse(pending, this.#failure);
        continue;
      }
      const at = new Date(this.#c.clock.now()).toISOString();
      const epoch = this.#epoch;
      const after = { seq: this.#signedSeq, last: this.#signedLast };
      const builder = new BatchBuilder(this.#signer!, after, at, epoch, batch.length);
      for (let i = 0; i < batch.length; i += SLICE) {
        if (i > 0) await turn();
        builder.add(batch.slice(i, i + SLICE), (p, e) => this.#refuse(p, e));
      }
      // sealed with the epoch it was signed in: a write that failed meanwhile voids it
      const signed = builder.seal();
      if (signed === undefined) continue;
      if (epoch === this.#epoch) {
        this.#signedSeq = after.seq;
        this.#signedLast = after.last;
      }
      const previous = writes.at(-1) ?? Promise.resolve();
      writes.push(
        previous
          .then(() => this.#write(signed))
          .catch((error: unknown) => {
            for (const b of signed.built) this.#refuse(b.pending, toError(error));
          }),
      );
      await turn();
    }
    await Promise.all(writes);
  }

  /** Appends a signed batch to the journal, then moves the head; on failure, undoes it. */
  async #write(batch: SignedBatch): Promise<void> {
    const { built, frames, head } = batch;
    if (batch.epoch !== this.#epoch || this.#failure !== undefined) {
      const error = this.#failure ?? new AuditIoError('append: an earlier batch it links to failed');
      for (const b of built) this.#refuse(b.pending, error);
      return;
    }
    try {
      await this.#journal!.append(frames);
      await writeHeadFile(this.paths.head, head, this.#length + frames.length);
    } catch (error) {
      if (!(await headOnDisk(this.paths.head, head))) {
        // this batch and every one signed after it are void; the next signs after the head
        this.#epoch++;
        this.#signedSeq = this.#seq;
        this.#signedLast = this.#last;
        await this.#undo(error);
        for (const b of built) this.#refuse(b.pending, new AuditIoError('append', { cause: error }));
        return;
      }
      this.#c.logger.warn(
        { err: describeError(error) },
        'audit head moved, but syncing its directory failed',
      );
    }
    this.#committed(batch);
  }

  /** The batch is durable and covered by the head: its appends resolve, listeners hear. */
  #committed({ built, head, at }: SignedBatch): void {
    let offset = this.#length;
    for (const b of built) {
      this.#offsets.push(offset);
      offset += FRAME_HEADER + b.size;
    }
    const end = built.at(-1)!;
    this.#seq = end.seq;
    this.#last = end.hash;
    this.#length = offset;
    this.#head = head;
    for (const b of built) {
      this.#c.metrics?.appended?.(b.pending.input.kind);
      b.pending.resolve({ seq: b.seq, hash: b.hash, at });
    }
    for (const listener of this.#listeners) {
      try {
        listener(head);
      } catch (error) {
        this.#c.logger.warn({ err: describeError(error) }, 'audit head listener failed');
      }
    }
  }

  /** Cuts the journal back to the committed chain; when even that fails, the log stops taking appends. */
  async #undo(cause: unknown): Promise<void> {
    try {
      await this.#journal!.truncate(this.#length);
    } catch (error) {
      this.#failure = new AuditUnavailableError(
        `an append failed (${describeError(cause)}) and the journal could not be cut back (${describeError(error)})`,
        { cause: error },
      );
      this.#c.logger.error(
        { err: describeError(this.#failure) },
        'audit log unavailable: appends are refused',
      );
    }
  }

  #refuse(pending: Pending, error: Error): void {
    this.#c.metrics?.appendFailed?.();
    pending.reject(error);
  }

  #readRange(from: number, to: number): Promise<Buffer[]> {
    const start = this.#offsets.of(from);
    if (this.#journal === undefined || start === undefined || to < from) return Promise.resolve([]);
    return this.#journal.records(start, this.#offsets.of(to + 1) ?? this.#length);
  }
}
