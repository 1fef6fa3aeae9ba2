/**
 * The audit gossip (issue 16): this node's signed chain head goes out as `audit_head` on the
 * coordination channel when it moves (at most once per `minIntervalMs`, coalesced) and every
 * `periodMs`, carrying up to `maxWitnessed` heads of other nodes this node witnessed (a
 * different slice each time when it holds more). Each head heard is checked (signed by the
 * node it names; a node's own head comes from that node) and goes into the witness book, which
 * tells a fork. A witnessed head of this node, sent back by a peer, is compared with this
 * node's own chain: a head the chain does not contain is a fork of this node's history, kept
 * as evidence where `bzzz audit verify` finds it. Nothing a peer sends can crash it.
 */
import type { AuditLog, WitnessBook } from '../../adapters/audit/index.js';
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { verifyAuditHead, type SignedAuditHead } from '../../protocol/audit.js';
import { MAX_WITNESSED_HEADS, type AuditHeadMessage } from '../../protocol/messages/audit.js';

/** The coordination channel as the gossip uses it. */
export interface AuditHeadAnnouncer {
  publish(message: AuditHeadMessage): void;
  /** `from` is the envelope's signed sender. */
  subscribe(handler: (from: string, message: AuditHeadMessage) => void): () => void;
}

export interface AuditGossipInit {
  nodeId: string;
  /** Least time between two announcements of a moving head (default 1 s). */
  minIntervalMs?: number;
  /** The head is announced again this often (default 15 s). */
  periodMs?: number;
  /** Witnessed heads per announcement (default and most {@link MAX_WITNESSED_HEADS}). */
  maxWitnessed?: number;
}

export interface AuditGossipComponents {
  log: Pick<AuditLog, 'head' | 'hashAt' | 'subscribe' | 'health'>;
  witnesses: WitnessBook;
  announcer: AuditHeadAnnouncer;
  clock: Clock;
  logger: Logger;
}

const WARN_EVERY_MS = 60_000;

export class AuditGossip {
  readonly #self: string;
  readonly #minIntervalMs: number;
  readonly #periodMs: number;
  readonly #maxWitnessed: number;
  readonly #c: AuditGossipComponents;
  #unsubscribe: (() => void)[] = [];
  #soon: TimerHandle | undefined;
  #periodic: TimerHandle | undefined;
  #sentAt = Number.NEGATIVE_INFINITY;
  #running = false;
  readonly #warnedAt = new Map<string, number>();

  constructor(init: AuditGossipInit, components: AuditGossipComponents) {
    this.#self = init.nodeId;
    this.#minIntervalMs = init.minIntervalMs ?? 1_000;
    this.#periodMs = init.periodMs ?? 15_000;
    this.#maxWitnessed = Math.min(MAX_WITNESSED_HEADS, init.maxWitnessed ?? MAX_WITNESSED_HEADS);
    this.#c = components;
  }

  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#running = true;
    this.#unsubscribe = [
      this.#c.log.subscribe(() => this.#schedule()),
      this.#c.announcer.subscribe((from, message) => void this.#heard(from, message)),
    ];
    this.#schedule();
    this.#tick();
    // heads peers witnessed before a restart: the chain on disk must still hold them
    void this.#recheckSelf();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#running = false;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    for (const timer of [this.#soon, this.#periodic])
      if (timer !== undefined) this.#c.clock.clearTimeout(timer);
    this.#soon = this.#periodic = undefined;
    return Promise.resolve();
  }

  /** Announces soon: now, or once `minIntervalMs` has passed since the last announcement. */
  #schedule(): void {
    if (!this.#running || this.#soon !== undefined) return;
    const wait = Math.max(0, this.#sentAt + this.#minIntervalMs - this.#c.clock.now());
    this.#soon = this.#c.clock.setTimeout(() => {
      this.#soon = undefined;
      this.#send();
    }, wait);
  }

  #tick(): void {
    this.#periodic = this.#c.clock.setTimeout(() => {
      this.#schedule();
      if (this.#running) this.#tick();
    }, this.#periodMs);
  }

  #send(): void {
    const head = this.#c.log.head() ?? null;
    const witnessed = this.#c.witnesses.sample(this.#maxWitnessed);
    if (head === null && witnessed.length === 0) return;
    this.#sentAt = this.#c.clock.now();
    try {
      this.#c.announcer.publish({ head, witnessed });
    } catch (error) {
      this.#warn('publish', { err: describeError(error) }, 'cannot announce the audit head');
    }
  }

  async #heard(from: string, message: AuditHeadMessage): Promise<void> {
    if (!this.#running || from === this.#self) return;
    try {
      const { head } = message;
      if (head !== null) {
        if (head.node !== from)
          this.#warn('relayed', { from, node: head.node }, 'audit_head names another node as its own');
        else this.#witness(head, from);
      }
      for (const witnessed of message.witnessed) {
        if (witnessed.node === this.#self) await this.#witnessedSelf(witnessed, from);
        else this.#witness(witnessed, from);
      }
    } catch (error) {
      this.#warn('handle', { from, err: describeError(error) }, 'cannot handle an audit_head');
    }
  }

  #witness(head: SignedAuditHead, from: string): void {
    const { witnesses } = this.#c;
    if (witnesses.holds(head)) return;
    if (!verifyAuditHead(head)) {
      this.#warn('signature', { from, node: head.node }, 'audit head with a bad signature dropped');
      return;
    }
    witnesses.observe(head, from);
  }

  /** A head of this node a peer witnessed: the chain must hold that entry with that hash. */
  async #witnessedSelf(head: SignedAuditHead, by: string): Promise<void> {
    const { log, witnesses } = this.#c;
    if (log.health().status !== 'ok' || witnesses.holdsSelf(head)) return;
    if (!verifyAuditHead(head)) {
      this.#warn('signature', { from: by }, 'a head of this node with a bad signature dropped');
      return;
    }
    witnesses.observeSelf(head, by, await this.#conflict(head, by), log.head());
  }

  async #recheckSelf(): Promise<void> {
    const { log, witnesses } = this.#c;
    if (log.health().status !== 'ok') return;
    try {
      for (const { head, by } of witnesses.selfWitnesses()) {
        const conflict = await this.#conflict(head, by);
        if (conflict !== undefined) witnesses.observeSelf(head, by, conflict, log.head());
      }
    } catch (error) {
      this.#warn(
        'handle',
        { err: describeError(error) },
        'cannot check the heads peers witnessed of this node',
      );
    }
  }

  /** How this node's chain disagrees with a head of it `by` witnessed, or undefined. */
  async #conflict(head: SignedAuditHead, by: string): Promise<string | undefined> {
    const hash = await this.#c.log.hashAt(head.seq);
    if (hash === undefined)
      return `${by} witnessed seq ${head.seq} of this node, whose chain ends at seq ${this.#c.log.head()?.seq ?? 0}`;
    if (hash !== head.hash)
      return `${by} witnessed seq ${head.seq} with hash ${head.hash}; this node's entry ${head.seq} is ${hash}`;
    return undefined;
  }

  /** Logs at most once a minute per kind of trouble. */
  #warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.#c.clock.now();
    if (now - (this.#warnedAt.get(kind) ?? Number.NEGATIVE_INFINITY) < WARN_EVERY_MS) return;
    this.#warnedAt.set(kind, now);
    this.#c.logger.warn(fields, message);
  }
}
