/**
 * Copies committed entries into the content store, pinned (the CAS replicator then keeps them
 * on `cas_replicas` nodes), behind the appender: an append is durable once the journal is
 * fsynced and the head moved, and the store's per-blob fsync stays off its path; copying waits
 * while appends queue, and a stop first copies what is committed (for up to 2 s). The last entry copied is
 * kept in `published.json`; after a restart the copy resumes from there (a put of a blob the
 * store holds only touches it).
 */
import { z } from 'zod';
import type { TimerHandle } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { ContentStore } from '../cas/index.js';
import { readOptional, writeFileAtomic } from './files.js';
import type { AuditComponents } from './types.js';

const CHUNK = 64;
const RETRY_MS = 1_000;
const SAVE_EVERY_MS = 1_000;
/** How long a stop keeps copying (the rest is copied at the next start). */
const DRAIN_MS = 2_000;
const watermarkSchema = z.object({ seq: z.int().min(0) });

/** What the publisher reads from the log. */
export interface PublisherSource {
  /** The blobs of entries `from` to `to`, from the journal. */
  read(from: number, to: number): Promise<Buffer[]>;
  /** True while appends wait: copying pauses until the log calls `advance` again. */
  busy(): boolean;
}

/** The last entry known copied into the store (0: none). */
export async function readWatermark(path: string): Promise<number> {
  const bytes = await readOptional(path);
  if (bytes === undefined) return 0;
  try {
    return watermarkSchema.parse(JSON.parse(bytes.toString('utf8'))).seq;
  } catch {
    return 0; // a bad watermark only means copying again
  }
}

export class CasPublisher {
  #published = 0;
  #target = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #savedAt = Number.NEGATIVE_INFINITY;
  #saved = 0;
  #pause: { timer: TimerHandle; wake: () => void } | undefined;
  #failing = false;
  /** While stopping: copy until this time, then stop. */
  #drainUntil: number | undefined;

  constructor(
    private readonly path: string,
    private readonly source: PublisherSource,
    private readonly c: Pick<AuditComponents, 'clock' | 'logger' | 'metrics'> & { store: ContentStore },
    private readonly concurrency: number,
  ) {}

  /** Entries up to this one are in the store. */
  get published(): number {
    return this.#published;
  }

  async start(target: number): Promise<void> {
    this.#published = Math.min(await readWatermark(this.path), target);
    this.#saved = this.#published;
    this.#target = target;
    this.#running = true;
    this.#kick();
  }

  /** The chain grew to `target` entries and no append waits. */
  advance(target: number): void {
    this.#target = target;
    this.#kick();
  }

  /** Copies what is committed (for up to 2 s, unless the store fails), then saves the mark. */
  async stop(): Promise<void> {
    this.#drainUntil = this.c.clock.now() + DRAIN_MS;
    if (this.#pause !== undefined) {
      this.c.clock.clearTimeout(this.#pause.timer);
      this.#pause.wake();
    }
    this.#kick();
    await this.#loop;
    this.#running = false;
    this.#drainUntil = undefined;
    await this.#save();
  }

  #kick(): void {
    if (this.#loop !== undefined || !this.#running || this.#published >= this.#target || this.source.busy())
      return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      this.#kick();
    });
  }

  async #run(): Promise<void> {
    while (this.#running && this.#published < this.#target && !this.source.busy()) {
      const from = this.#published + 1;
      const to = Math.min(this.#target, from + CHUNK - 1);
      const copied = await this.#copy(from, to);
      this.#published = from - 1 + copied;
      if (this.c.clock.now() - this.#savedAt >= SAVE_EVERY_MS) await this.#save();
      if (
        this.#drainUntil !== undefined &&
        (copied < to - from + 1 || this.c.clock.now() >= this.#drainUntil)
      )
        return;
      if (copied < to - from + 1) await this.#wait(RETRY_MS);
    }
  }

  /** Copies entries `from` to `to`; returns how many in a row from `from` made it. */
  async #copy(from: number, to: number): Promise<number> {
    let blobs: Buffer[];
    try {
      blobs = await this.source.read(from, to);
    } catch (error) {
      this.#failed(error);
      return 0;
    }
    const done = new Array<boolean>(blobs.length).fill(false);
    let next = 0;
    const worker = async () => {
      while (next < blobs.length) {
        const i = next++;
        try {
          await this.c.store.put(blobs[i]!, { pin: true });
          done[i] = true;
          this.c.metrics?.published?.('ok');
        } catch (error) {
          this.#failed(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, blobs.length) }, worker));
    const firstMissing = done.indexOf(false);
    if (firstMissing < 0 && this.#failing) {
      this.#failing = false;
      this.c.logger.info({ seq: to }, 'audit entries copied into the content store again');
    }
    return firstMissing < 0 ? done.length : firstMissing;
  }

  #failed(error: unknown): void {
    this.c.metrics?.published?.('failed');
    if (!this.#failing)
      this.c.logger.warn(
        { err: describeError(error) },
        'cannot copy audit entries into the content store; retrying',
      );
    this.#failing = true;
  }

  #wait(ms: number): Promise<void> {
    if (!this.#running || this.#drainUntil !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#pause = undefined;
        resolve();
      };
      this.#pause = { timer: this.c.clock.setTimeout(wake, ms), wake };
    });
  }

  async #save(): Promise<void> {
    this.#savedAt = this.c.clock.now();
    if (this.#saved === this.#published) return;
    const seq = this.#published;
    try {
      await writeFileAtomic(this.path, `${JSON.stringify({ seq })}\n`);
      this.#saved = seq;
    } catch (error) {
      this.c.logger.warn({ err: describeError(error) }, 'cannot save the audit publish mark');
    }
  }
}
