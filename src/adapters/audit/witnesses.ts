/**
 * The witness book: the latest head this node has seen of every other node (and a few older
 * ones), kept in `<data_dir>/audit/witnesses.json` (written atomically, at most once a second).
 * A head that conflicts with a witnessed one is a fork: two heads of one seq with different
 * hashes, or a node announcing a seq lower than one it announced before (a rollback; a lower
 * head signed no later than the witnessed one is only a late message). A fork is logged,
 * counted and kept as evidence (both signed heads); the first head stays the witnessed one.
 * Signatures are checked by the caller (the gossip actor): the book takes checked heads only.
 */
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TimerHandle } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { SignedAuditHead } from '../../protocol/audit.js';
import { writeFileAtomic } from './files.js';
import type { AuditComponents } from './types.js';
import {
  emptyWitnessFile,
  MAX_FORKS,
  readWitnessFile,
  thinHeads,
  type ForkEvidence,
  type WitnessFile,
} from './witness-file.js';

/** What a head told the book. */
export type Observation = 'new' | 'advanced' | 'same' | 'stale' | 'fork';

const SAVE_DELAY_MS = 1_000;
/** Most nodes the book holds, and most it takes on another node's word (a relayed head). */
const MAX_NODES = 4096;
const MAX_RELAYED_NODES = 1024;

export class WitnessBook {
  #file: WitnessFile = emptyWitnessFile();
  #timer: TimerHandle | undefined;
  #saving: Promise<void> = Promise.resolve();
  #rotation = 0;

  constructor(
    readonly path: string,
    readonly self: string,
    private readonly c: Pick<AuditComponents, 'clock' | 'logger' | 'metrics'>,
  ) {}

  async load(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    try {
      this.#file = await readWitnessFile(this.path);
    } catch (error) {
      const aside = `${this.path}.bad-${this.c.clock.now()}`;
      await rename(this.path, aside).catch(() => undefined);
      this.c.logger.warn(
        { err: describeError(error), aside },
        'witness file unreadable: set aside, starting empty',
      );
      this.#file = emptyWitnessFile();
    }
  }

  /** Writes what is pending now. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) {
      this.c.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#save();
    }
    await this.#saving;
  }

  /** True when the book holds exactly this head already (its signature need not be checked again). */
  holds(head: SignedAuditHead): boolean {
    const witness = this.#file.nodes[head.node];
    if (witness === undefined) return false;
    return witness.latest.sig === head.sig || witness.checkpoints.some((c) => c.sig === head.sig);
  }

  /** Takes a checked head of another node; `from` sent it (the node itself when `direct`). */
  observe(head: SignedAuditHead, from: string): Observation {
    const witness = this.#file.nodes[head.node];
    if (witness === undefined) {
      // a peer can make up nodes (any fresh key signs a head): the book stays bounded
      const known = Object.keys(this.#file.nodes).length;
      if (known >= MAX_NODES || (from !== head.node && known >= MAX_RELAYED_NODES)) return 'stale';
      this.#file.nodes[head.node] = { latest: head, checkpoints: [] };
      this.#changed();
      return 'new';
    }
    const { latest } = witness;
    const sameSeq = [latest, ...witness.checkpoints].find((h) => h.seq === head.seq);
    if (sameSeq !== undefined && sameSeq.hash !== head.hash)
      return this.#fork(sameSeq, head, from, head.seq, `two heads of seq ${head.seq} with different hashes`);
    if (head.seq > latest.seq) {
      witness.checkpoints = thinHeads([...witness.checkpoints, latest], (h) => h.seq);
      witness.latest = head;
      this.#changed();
      return 'advanced';
    }
    if (head.seq === latest.seq) return 'same';
    if (from === head.node && head.at > latest.at)
      return this.#fork(
        latest,
        head,
        from,
        head.seq,
        `seq ${head.seq} announced after seq ${latest.seq}: history rolled back`,
      );
    return 'stale';
  }

  /** A head of this node a peer witnessed; `conflict` says how it disagrees with this node's chain. */
  observeSelf(
    head: SignedAuditHead,
    by: string,
    conflict: string | undefined,
    own: SignedAuditHead | undefined,
  ): Observation {
    if (conflict !== undefined) return this.#fork(head, own ?? head, by, head.seq, conflict);
    if (this.holdsSelf(head)) return 'same';
    this.#file.self = thinHeads([...this.#file.self, { head, by }], (s) => s.head.seq);
    this.#changed();
    return 'new';
  }

  /** True when this head of this node is held already (a peer witnessed it before). */
  holdsSelf(head: SignedAuditHead): boolean {
    return this.#file.self.some((s) => s.head.sig === head.sig);
  }

  latest(node: string): SignedAuditHead | undefined {
    return this.#file.nodes[node]?.latest;
  }

  /** Fork evidence, about one node or all. */
  forks(node?: string): ForkEvidence[] {
    return this.#file.forks.filter((f) => node === undefined || f.node === node);
  }

  /** Heads of this node that peers witnessed. */
  selfHeads(): SignedAuditHead[] {
    return this.#file.self.map((s) => s.head);
  }

  /** Heads of this node that peers witnessed, with the peer that sent each. */
  selfWitnesses(): { head: SignedAuditHead; by: string }[] {
    return this.#file.self.map((s) => ({ ...s }));
  }

  /** Up to `max` latest heads of other nodes, a different slice each call when there are more. */
  sample(max: number): SignedAuditHead[] {
    const heads = Object.values(this.#file.nodes).map((w) => w.latest);
    if (heads.length <= max) return heads;
    const start = this.#rotation % heads.length;
    this.#rotation += max;
    return Array.from({ length: max }, (_, i) => heads[(start + i) % heads.length]!);
  }

  #fork(
    witnessed: SignedAuditHead,
    conflicting: SignedAuditHead,
    by: string,
    seq: number,
    reason: string,
  ): Observation {
    const known = this.#file.forks.some(
      (f) => f.witnessed.sig === witnessed.sig && f.conflicting.sig === conflicting.sig,
    );
    if (known) return 'fork';
    this.c.metrics?.forked?.();
    this.c.logger.error(
      { node: witnessed.node, seq, witnessed: witnessed.hash, conflicting: conflicting.hash, by, reason },
      'audit fork: a head conflicts with a witnessed one',
    );
    if (this.#file.forks.length < MAX_FORKS) {
      const detectedAt = new Date(this.c.clock.now()).toISOString();
      this.#file.forks.push({ node: witnessed.node, seq, reason, witnessed, conflicting, by, detectedAt });
      this.#changed();
    }
    return 'fork';
  }

  #changed(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.c.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#save();
    }, SAVE_DELAY_MS);
  }

  #save(): Promise<void> {
    const text = `${JSON.stringify(this.#file)}\n`;
    this.#saving = this.#saving
      .then(() => writeFileAtomic(this.path, text))
      .catch((error: unknown) => {
        this.c.logger.warn({ err: describeError(error) }, 'cannot save the witness file');
      });
    return this.#saving;
  }
}
