/**
 * Warm workspaces: a clone of a repository's default branch inside a created sandbox, made
 * ready before a task needs it, so a task's `prepare` step is a check and a hand-over instead
 * of a clone and a sandbox start. After a task of a repository takes one (or finds none), one
 * is made for the next task of that repository in the background, up to `perRepo` per
 * repository.
 *
 * A warm workspace is handed out only while it is exactly what a cold `prepare` would make:
 * the forge's default branch still points at the commit it was cloned at, the task's branch
 * does not exist yet (a resumed task continues from its branch, so it is prepared cold), and
 * it is younger than `maxAgeMs`. Otherwise it is destroyed and the task prepares cold. This
 * needs a forge that can read a branch's head without a network round trip (`branchHead`);
 * the pipeline makes no warm workspaces for one that cannot.
 *
 * Nothing leaks: `close` waits for workspaces being made and destroys every one; an old one is
 * swept on the clock; after a crash, the sandbox backend removes its leftover sandboxes and the
 * pipeline empties the scratch directory when it starts.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cloneRepo, taskBranch, taskRepo, type Forge } from '../forge/index.js';
import type { Sandbox } from '../sandbox/index.js';
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { parseTaskKey, type TaskKey } from '../../protocol/task-key.js';
import type { SandboxProvider } from './types.js';

/** A ready clone in a ready sandbox; whoever takes it owns both. */
export interface WarmWorkspace {
  readonly repo: string;
  /** The directory holding the clone; remove it when done. */
  readonly scratch: string;
  /** The clone, the sandbox's work dir. */
  readonly clone: string;
  /** The default branch, checked out. */
  readonly base: string;
  readonly baseSha: string;
  readonly sandbox: Sandbox;
  readonly createdAt: number;
}

/** A forge that reads branch heads cheaply, as warm workspaces need. */
export type BranchReadingForge = Forge & Required<Pick<Forge, 'branchHead'>>;

/** True when `forge` can check warm workspaces (it offers `branchHead`). */
export function canReadBranches(forge: Forge): forge is BranchReadingForge {
  return typeof forge.branchHead === 'function';
}

export interface WarmWorkspacesInit {
  forge: BranchReadingForge;
  sandboxes: SandboxProvider;
  /** Where clones are made (the pipeline's scratch directory). */
  scratchDir: string;
  /** Workspaces kept ready per repository (≥ 1). */
  perRepo: number;
  /** A workspace older than this is not handed out (default 10 minutes). */
  maxAgeMs?: number;
  clock: Clock;
  logger: Logger;
}

/** Ready workspaces per repository, made in the background. */
export class WarmWorkspaces {
  readonly #init: WarmWorkspacesInit;
  readonly #maxAgeMs: number;
  readonly #ready = new Map<string, WarmWorkspace[]>();
  /** Workspaces being made, per repository. */
  readonly #making = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #sweep: TimerHandle | undefined;
  #closed = false;
  /** Workspaces handed out, and ones found unusable (for tests and logs). */
  hits = 0;
  misses = 0;

  constructor(init: WarmWorkspacesInit) {
    this.#init = init;
    this.#maxAgeMs = init.maxAgeMs ?? 10 * 60_000;
  }

  /** Workspaces ready now, over every repository. */
  get size(): number {
    let n = 0;
    for (const list of this.#ready.values()) n += list.length;
    return n;
  }

  /**
   * A ready workspace for the task, or `undefined` when there is none that fits (the caller
   * then prepares one itself). Either way the repository's supply is topped up afterwards.
   */
  async take(key: TaskKey): Promise<WarmWorkspace | undefined> {
    if (this.#closed) return undefined;
    const repo = taskRepo(parseTaskKey(key));
    const list = this.#ready.get(repo) ?? [];
    let found: WarmWorkspace | undefined;
    while (found === undefined && list.length > 0) {
      const candidate = list.shift()!;
      if (await this.#fits(candidate, key)) found = candidate;
      else this.#discard(candidate, 'out of date');
    }
    if (list.length === 0) this.#ready.delete(repo);
    if (found === undefined) this.misses++;
    else this.hits++;
    this.#refill(repo);
    return found;
  }

  /** Resolves once no workspace is being made or dropped (tests, and `close`). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Destroys every ready workspace once those being made are done; takes no more. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweep !== undefined) this.#init.clock.clearTimeout(this.#sweep);
    this.#sweep = undefined;
    await this.idle();
    const all = [...this.#ready.values()].flat();
    this.#ready.clear();
    await Promise.all(all.map((workspace) => destroyWorkspace(workspace, this.#init.logger)));
  }

  async #fits(workspace: WarmWorkspace, key: TaskKey): Promise<boolean> {
    if (workspace.sandbox.destroyed) return false;
    if (this.#init.clock.now() - workspace.createdAt > this.#maxAgeMs) return false;
    try {
      const [base, branch] = await Promise.all([
        this.#init.forge.branchHead(workspace.repo, workspace.base),
        this.#init.forge.branchHead(workspace.repo, taskBranch(key)),
      ]);
      return base === workspace.baseSha && branch === null;
    } catch (error) {
      this.#init.logger.debug(
        { repo: workspace.repo, err: describeError(error) },
        'cannot check a warm workspace',
      );
      return false;
    }
  }

  /** Starts making workspaces for `repo` until `perRepo` are ready or being made. */
  #refill(repo: string): void {
    const wanted = this.#init.perRepo - (this.#ready.get(repo)?.length ?? 0) - (this.#making.get(repo) ?? 0);
    for (let i = 0; i < wanted && !this.#closed; i++) {
      this.#making.set(repo, (this.#making.get(repo) ?? 0) + 1);
      const making = this.#make(repo)
        .then((workspace) => {
          if (this.#closed) {
            this.#discard(workspace, 'closing');
            return;
          }
          const list = this.#ready.get(repo) ?? [];
          list.push(workspace);
          this.#ready.set(repo, list);
          this.#armSweep();
        })
        .catch((error: unknown) => {
          this.#init.logger.warn({ repo, err: describeError(error) }, 'could not make a warm workspace');
        })
        .finally(() => {
          this.#making.set(repo, (this.#making.get(repo) ?? 1) - 1);
          this.#inFlight.delete(making);
        });
      this.#inFlight.add(making);
    }
  }

  async #make(repo: string): Promise<WarmWorkspace> {
    const { forge, sandboxes, scratchDir, clock } = this.#init;
    const scratch = await mkdtemp(join(scratchDir, 'warm-'));
    try {
      await chmod(scratch, 0o755); // the sandbox user reaches its work dir through it
      const clone = join(scratch, 'repo');
      const { base, baseSha } = await cloneRepo(forge, repo, clone);
      if (baseSha === '') throw new Error(`${repo} has no commit to start from`);
      const sandbox = await sandboxes.create({ workDir: clone, network: { mode: 'none' } });
      return { repo, scratch, clone, base, baseSha, sandbox, createdAt: clock.now() };
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  #discard(workspace: WarmWorkspace, reason: string): void {
    this.#init.logger.debug(
      { repo: workspace.repo, sandbox: workspace.sandbox.id, reason },
      'warm workspace dropped',
    );
    const dropping = destroyWorkspace(workspace, this.#init.logger).finally(() =>
      this.#inFlight.delete(dropping),
    );
    this.#inFlight.add(dropping);
  }

  /** Drops workspaces once they grow too old: a timer for the oldest, set again while any are ready. */
  #armSweep(): void {
    if (this.#sweep !== undefined || this.#closed) return;
    const oldest = Math.min(...[...this.#ready.values()].flat().map((workspace) => workspace.createdAt));
    if (!Number.isFinite(oldest)) return;
    const delay = Math.max(0, oldest + this.#maxAgeMs + 1 - this.#init.clock.now());
    this.#sweep = this.#init.clock.setTimeout(() => {
      this.#sweep = undefined;
      const now = this.#init.clock.now();
      for (const [repo, list] of this.#ready) {
        const keep = list.filter((workspace) => now - workspace.createdAt <= this.#maxAgeMs);
        for (const workspace of list) if (!keep.includes(workspace)) this.#discard(workspace, 'too old');
        if (keep.length === 0) this.#ready.delete(repo);
        else this.#ready.set(repo, keep);
      }
      this.#armSweep();
    }, delay);
  }
}

async function destroyWorkspace(workspace: WarmWorkspace, logger: Logger): Promise<void> {
  await workspace.sandbox.destroy().catch((error: unknown) => {
    logger.error({ sandbox: workspace.sandbox.id, err: describeError(error) }, 'could not destroy sandbox');
  });
  await rm(workspace.scratch, { recursive: true, force: true }).catch(() => undefined);
}
