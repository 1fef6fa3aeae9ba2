/**
 * The open HMMM help requests a person can answer: every `task_help_request` seen on the
 * meta-discussion channel, kept until an answer to it is seen on its task's channel or its
 * asker gives up (the node's help timeout after it was seen). Bounded: past `max` the oldest is
 * forgotten. It tells its owner which task channels to watch (`watch`/`unwatch`), one per task
 * with an open request.
 */
import type { Clock } from '../../lib/clock.js';
import type { TaskHelpRequest } from '../../protocol/messages/hmmm.js';
import type { HelpRequestRow } from './types.js';

interface Open {
  request: TaskHelpRequest;
  seenAt: number;
  expiresAt: number;
}

export interface HelpDeskOptions {
  /** How long an asker waits for an answer (`BZZZ_HELP_TIMEOUT_MS`). */
  ttlMs: number;
  /** Most requests kept (default 500). */
  max?: number;
  clock: Clock;
  /** A task now has an open request: its channel carries the answers. */
  watch(task: string): void;
  /** A task has no open request any more. */
  unwatch(task: string): void;
}

export class HelpDesk {
  /** By request id, oldest first (a Map keeps insertion order). */
  readonly #open = new Map<string, Open>();
  readonly #options: HelpDeskOptions;
  readonly #max: number;

  constructor(options: HelpDeskOptions) {
    this.#options = options;
    this.#max = options.max ?? 500;
  }

  /** A help request was seen (again: the asker sends it on two channels). */
  asked(request: TaskHelpRequest): void {
    this.#prune();
    if (this.#open.has(request.id)) return;
    const now = this.#options.clock.now();
    const watched = this.#hasTask(request.task);
    this.#open.set(request.id, { request, seenAt: now, expiresAt: now + this.#options.ttlMs });
    if (!watched) this.#options.watch(request.task);
    while (this.#open.size > this.#max) {
      const oldest = this.#open.keys().next().value;
      if (oldest === undefined) break;
      this.#drop(oldest);
    }
  }

  /** An answer to request `id` was seen: it is not open any more. */
  answered(id: string): void {
    this.#drop(id);
    this.#prune();
  }

  /** The open request `id` of `task`, if it is one. */
  get(task: string, id: string): TaskHelpRequest | undefined {
    this.#prune();
    const open = this.#open.get(id);
    return open?.request.task === task ? open.request : undefined;
  }

  /** Every open request, oldest first. */
  list(): HelpRequestRow[] {
    this.#prune();
    return [...this.#open.values()].map(({ request, seenAt, expiresAt }) => ({
      id: request.id,
      task: request.task,
      agent: request.agent ?? null,
      node: request.node,
      question: request.question,
      context: request.context ?? null,
      title: request.title ?? null,
      seen_at: new Date(seenAt).toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
    }));
  }

  /** Forgets everything (the owner stops watching every task). */
  clear(): void {
    for (const id of [...this.#open.keys()]) this.#drop(id);
  }

  #prune(): void {
    const now = this.#options.clock.now();
    for (const [id, open] of this.#open) if (open.expiresAt <= now) this.#drop(id);
  }

  #drop(id: string): void {
    const open = this.#open.get(id);
    if (open === undefined) return;
    this.#open.delete(id);
    if (!this.#hasTask(open.request.task)) this.#options.unwatch(open.request.task);
  }

  #hasTask(task: string): boolean {
    for (const open of this.#open.values()) if (open.request.task === task) return true;
    return false;
  }
}
