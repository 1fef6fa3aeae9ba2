/**
 * What one task actor instance holds: its lease (with the task branch's head as seen when it
 * was won, which pushes under it expect) and its workspace (a sandbox over a clone in a
 * scratch directory). The task's facts live in its machine's context, not here.
 * Cleanup is idempotent and safe at any time, so a crash, a stop or a normal end all leave
 * nothing behind (no container, no clone on the host, no live lease of ours except the one a
 * crashed instance hands to its successor, which continues it).
 */
import type { Lease } from '../../adapters/claims/index.js';
import { LeaseLostError } from '../../adapters/claims/index.js';
import type { Fenced } from '../../adapters/forge/index.js';
import type { Workspace } from '../../adapters/workspace/index.js';
import { createReasonerGuard, type GuardedReasoner } from '../../adapters/llm/index.js';
import { describeError } from '../../lib/errors.js';
import type { TaskContext } from '../../machines/task.js';
import type { CapturedArtifacts } from './artifacts/recorder.js';
import type { TaskDeps } from './deps.js';

export class TaskResources {
  lease: Lease | undefined;
  /** True once this instance held the lease (won, or continued from its predecessor). */
  held = false;
  /** When this instance began: the start of the attempt the task history records. */
  readonly startedAt: number;
  #reasoner: GuardedReasoner | undefined;
  /**
   * The task branch's head the next push replaces (null: absent), read when the lease was won
   * and moved by each push; undefined until read.
   */
  expectedHead: string | null | undefined;
  workspace: Workspace | undefined;
  /** The diff and result tree captured right before the workspace went (issue 16). */
  artifacts: CapturedArtifacts | undefined;
  /** The outcome the forge was told, once it was (a stop after it does not undo it). */
  reported: 'done' | undefined;
  /** The task machine's context now, once its actor runs (the recording reads it at the end). */
  context: (() => TaskContext) | undefined;
  #cleaning: Promise<void> | undefined;
  /** The record of the task's end being written, which a stop waits for. */
  #recording: Promise<void> = Promise.resolve();
  /** A crashed instance hands its work over: its workspace goes without a capture. */
  #handingOver = false;
  /** The latest release of the sandbox and scratch dirs, which later ones wait for. */
  #workspace: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    private readonly deps: TaskDeps,
    /**
     * Settles when the crashed instance before this one has cleaned up, with the lease it held
     * (undefined: none), which this instance continues (same holder, same token, renewed).
     */
    readonly predecessor: Promise<Lease | undefined> = Promise.resolve(undefined),
  ) {
    this.startedAt = deps.clock.now();
  }

  /** The reasoner behind the task's limits (made on first use), which keeps what the task spent. */
  get reasoner(): GuardedReasoner {
    this.#reasoner ??= createReasonerGuard(this.deps.reasoner, this.deps.limits, { clock: this.deps.clock });
    return this.#reasoner;
  }

  /** Tokens and cost the task's reasoner spent so far (nothing before its first call). */
  spent(): { inputTokens: number; outputTokens: number; cost: number } {
    return this.#reasoner?.spent() ?? { inputTokens: 0, outputTokens: 0, cost: 0 };
  }

  /** What each forge effect carries: the lease's token and holder and the fence. */
  fenced(): Fenced {
    const lease = this.lease;
    return { token: lease?.token ?? 0, holder: lease?.holder ?? this.deps.agent, fence: this.fence };
  }

  /**
   * Checks, right before an external effect, that the lease is still ours: first against this
   * node's clock (minus the allowed skew), then against the store. Throws LeaseLostError.
   */
  readonly fence = async (): Promise<void> => {
    const lease = this.lease;
    if (lease === undefined) throw new LeaseLostError(this.key, this.deps.agent, 0, 'released');
    if (this.deps.clock.now() >= lease.expiresAt - this.deps.leaseSkewMs) {
      throw new LeaseLostError(lease.key, lease.holder, lease.token, 'expired');
    }
    await lease.assertHeld();
  };

  /** True once cleanup has begun: the actor instance that owns these resources is gone. */
  get closed(): boolean {
    return this.#cleaning !== undefined;
  }

  /**
   * Takes ownership of a prepared workspace. When the owner ended meanwhile (a crash while it
   * was being prepared), the workspace is destroyed at once and this throws.
   */
  async adoptWorkspace(workspace: Workspace): Promise<void> {
    if (this.closed) {
      await this.deps.workspaces.destroy(workspace);
      throw new Error(`task ${this.key} ended while its workspace was being prepared`);
    }
    this.workspace = workspace;
  }

  /** Takes ownership of a granted lease; released at once when the owner ended meanwhile. */
  async adoptLease(lease: Lease): Promise<boolean> {
    if (this.closed) {
      await this.deps.claims.release(lease, 'task actor ended while claiming').catch(() => false);
      return false;
    }
    this.lease = lease;
    this.held = true;
    return true;
  }

  /**
   * Ends a crashed instance: its workspace goes, its lease is kept and returned, for the
   * successor to continue: the one it held, else the one it inherited and had not taken yet
   * (undefined when neither, or when its cleanup had already begun: that released it).
   */
  async handOver(reason: string): Promise<Lease | undefined> {
    this.#handingOver = true;
    if (this.closed) {
      await this.cleanup(false, reason);
      return undefined;
    }
    const lease = this.lease;
    await this.cleanup(false, reason);
    return lease ?? (await this.predecessor);
  }

  /** Keeps `recording` (the task's record being written) for {@link settled} to wait for. */
  recording(recording: Promise<void>): Promise<void> {
    this.#recording = recording;
    return recording;
  }

  /** Resolves once the cleanup begun and the record being written are done (never rejects). */
  async settled(): Promise<void> {
    await Promise.allSettled([this.#cleaning, this.#recording]);
  }

  /** Destroys the workspace and (when `release`) gives the lease up. */
  cleanup(release: boolean, reason: string): Promise<void> {
    this.#cleaning ??= this.#cleanup(release, reason);
    return this.#cleaning;
  }

  /**
   * Destroys the workspace held now, keeping the lease: once the work
   * is published they are no longer needed, and this can run beside the report. Never throws.
   * With a recorder, the diff and the result tree are captured first (once: the workspace is
   * gone after), unless a crashed instance hands its work over.
   */
  releaseWorkspace(): Promise<void> {
    this.#workspace = this.#workspace.then(() => this.#dropWorkspace());
    return this.#workspace;
  }

  async #dropWorkspace(): Promise<void> {
    const workspace = this.workspace;
    this.workspace = undefined;
    if (workspace === undefined) return;
    const recorder = this.deps.recorder;
    if (recorder !== undefined && !this.#handingOver)
      this.artifacts = await recorder.capture(this.key, workspace);
    await this.deps.workspaces.destroy(workspace);
  }

  async #cleanup(release: boolean, reason: string): Promise<void> {
    const { logger } = this.deps;
    await this.releaseWorkspace();
    // an instance that ends before taking its predecessor's lease releases that one
    const lease = this.lease ?? (release ? await this.predecessor : undefined);
    this.lease = undefined;
    if (release && lease !== undefined) {
      await this.deps.claims.release(lease, reason).catch((error: unknown) => {
        logger.warn({ task: this.key, err: describeError(error) }, 'could not release lease; it will expire');
      });
    }
  }
}
