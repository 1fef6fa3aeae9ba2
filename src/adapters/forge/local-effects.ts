/**
 * The local forge's fencing: per task, an append-only effect log beside the task record
 * (`.meta/<owner>/<name>/tasks/<n>.effects.jsonl`, one JSON line per applied effect, in the
 * order applied). The highest token in it is the highest the forge has accepted for the task;
 * an effect with a lower token is refused ({@link StaleTokenError}). Callers hold the
 * repository's lock from the check to the append, so check, effect and record are atomic.
 *
 * The agent's own check (`fence`: is the lease still mine?) runs before the lock, as a
 * request to a remote forge would leave after it: that check-then-act is what a paused agent
 * gets wrong, and the token check under the lock is what refuses it. Keeping the claim
 * store's round trip out of the lock also keeps a slow or restarting claim store from
 * stalling every writer of the repository.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { StaleTokenError } from './errors.js';
import type { LocalStore } from './local-store.js';
import { FENCED_EFFECTS, type FencedEffect, type RepoName } from './names.js';
import type { EffectRecord, Fenced } from './types.js';

const EffectLine = z.object({
  effect: z.enum(FENCED_EFFECTS),
  token: z.number().int(),
  holder: z.string(),
  at: z.string(),
  sha: z.string().optional(),
});

export interface EffectLogOptions {
  /** False turns the token check off: FOR TESTS ONLY (a checker must catch what follows). */
  checkTokens: boolean;
  /**
   * FOR TESTS ONLY: a delay between the agent's own check and the forge (the way to a remote
   * forge), so a test's pause can land between check and act. 0 by default.
   */
  latencyMs?: number;
  onRejected?: (effect: FencedEffect, error: StaleTokenError) => void;
}

/** One task's place in the forge. */
export interface TaskSlot {
  key: string;
  repo: RepoName;
  number: number;
}

export class EffectLog {
  constructor(
    private readonly store: LocalStore,
    private readonly options: EffectLogOptions,
  ) {}

  path(repo: RepoName, number: number): string {
    return join(this.store.metaDir(repo), 'tasks', `${number}.effects.jsonl`);
  }

  /** The task's applied effects, oldest first (a line cut by a crash mid-append is skipped). */
  async read(repo: RepoName, number: number): Promise<EffectRecord[]> {
    const text = await readFile(this.path(repo, number), 'utf8').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    });
    const out: EffectRecord[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue;
      }
      const parsed = EffectLine.safeParse(json);
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  /** Refuses (under the repository lock) an effect whose token is below the highest accepted. */
  async admit(slot: TaskSlot, effect: FencedEffect, token: number): Promise<void> {
    if (!this.options.checkTokens) return;
    const highest = Math.max(-Infinity, ...(await this.read(slot.repo, slot.number)).map((e) => e.token));
    if (token < highest) {
      const error = new StaleTokenError(effect, slot.key, token, highest);
      this.options.onRejected?.(effect, error);
      throw error;
    }
  }

  /** Records an applied effect (under the repository lock, right after applying it). */
  async append(slot: TaskSlot, effect: FencedEffect, fenced: Fenced, sha?: string): Promise<void> {
    const path = this.path(slot.repo, slot.number);
    const record: EffectRecord = {
      effect,
      token: fenced.token,
      holder: fenced.holder,
      at: new Date().toISOString(),
      ...(sha === undefined ? {} : { sha }),
    };
    await mkdir(join(path, '..'), { recursive: true });
    await appendFile(path, `${JSON.stringify(record)}\n`);
  }

  /**
   * The way of an effect to the forge: the agent's check that its lease is still held, then
   * (in tests) the delay of a far forge.
   */
  async send(fenced: Fenced): Promise<void> {
    await fenced.fence();
    const latency = this.options.latencyMs ?? 0;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  }

  /**
   * Sends the effect ({@link send}), then runs `apply` under the repository lock between the
   * token check and the effect's line in the log, so no effect with an older token slips in.
   */
  async fenced<T>(
    slot: TaskSlot,
    effect: FencedEffect,
    fenced: Fenced,
    apply: () => Promise<{ result: T; sha?: string }>,
  ): Promise<T> {
    await this.send(fenced);
    return this.store.withLock(repoLock(slot.repo), async () => {
      await this.admit(slot, effect, fenced.token);
      const { result, sha } = await apply();
      await this.append(slot, effect, fenced, sha);
      return result;
    });
  }
}

/** The name of a repository's lock (its writers of tasks, pulls, branches and logs). */
export function repoLock(repo: RepoName): string {
  return join(repo.owner, repo.name);
}
