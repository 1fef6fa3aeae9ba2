/**
 * Workspaces made with git on the host and a sandbox over the clone: a cold `prepare` clones
 * the task's repository (resuming the task's branch through the forge's checkout) into a
 * scratch directory the sandbox user can reach; with warm workspaces, a fitting one is taken
 * first. The commit runs inside the sandbox, never on the host.
 */
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkoutTask, taskBranch } from '../forge/index.js';
import { describeError } from '../../lib/errors.js';
import type { TaskKey } from '../../protocol/task-key.js';
import type { CommitOptions, Workspace, Workspaces, WorkspacesComponents, WorkspacesInit } from './types.js';
import { canReadBranches, WarmWorkspaces } from './warm.js';

/** The clone's top-level entries, `.git` aside, sorted. */
async function topLevelFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.name !== '.git')
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
}

/** Stages everything, commits when there is a change (hooks off), prints the commits ahead of base. */
const COMMIT_SCRIPT =
  'git add -A && { git diff --cached --quiet || git -c core.hooksPath=/dev/null -c user.name="$BZZZ_AGENT" -c user.email=agent@bzzz.invalid commit -q -F -; } && git rev-list --count "origin/$BZZZ_BASE..HEAD"';

export class GitWorkspaces implements Workspaces {
  readonly #init: WorkspacesInit;
  readonly #components: WorkspacesComponents;
  /** Made ready ahead of tasks while started; undefined when there are none to keep. */
  warm: WarmWorkspaces | undefined;

  constructor(init: WorkspacesInit, components: WorkspacesComponents) {
    this.#init = init;
    this.#components = components;
  }

  /**
   * Empties the scratch directory (clones an earlier run of this node left behind: a crash;
   * this node's data dir is its own) and starts keeping warm workspaces. Safe after `stop`.
   */
  async start(): Promise<void> {
    await this.stop();
    await rm(this.#init.scratchDir, { recursive: true, force: true });
    await mkdir(this.#init.scratchDir, { recursive: true });
    const { forge } = this.#components;
    const perRepo = this.#init.warm ?? 0;
    if (perRepo <= 0 || !canReadBranches(forge)) return;
    this.warm = new WarmWorkspaces({
      ...this.#components,
      forge,
      scratchDir: this.#init.scratchDir,
      perRepo,
      ...(this.#init.warmMaxAgeMs === undefined ? {} : { maxAgeMs: this.#init.warmMaxAgeMs }),
    });
  }

  async settled(): Promise<void> {
    await this.warm?.idle();
  }

  async stop(): Promise<void> {
    const warm = this.warm;
    this.warm = undefined;
    await warm?.close();
  }

  async prepare(key: TaskKey): Promise<Workspace> {
    const warm = await this.warm?.take(key);
    if (warm !== undefined) {
      const { sandbox, scratch, base } = warm;
      const files = await topLevelFiles(sandbox.workDir);
      return {
        sandbox,
        scratch,
        base,
        branch: taskBranch(key),
        resumed: false,
        warm: true,
        files,
        network: false,
      };
    }
    const scratch = await mkdtemp(join(this.#init.scratchDir, 'clone-'));
    try {
      await chmod(scratch, 0o755); // the sandbox user reaches its work dir through it
      const clone = join(scratch, 'repo');
      const checkout = await checkoutTask(this.#components.forge, key, clone);
      // the clone itself becomes the sandbox's work dir: no copy in, no copy out
      const sandbox = await this.#components.sandboxes.create({
        task: key,
        workDir: clone,
        network: { mode: 'none' },
      });
      return {
        sandbox,
        scratch,
        base: checkout.base,
        branch: checkout.branch,
        resumed: checkout.resumed,
        warm: false,
        files: await topLevelFiles(clone),
        network: false,
      };
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  async commit(workspace: Pick<Workspace, 'sandbox'>, options: CommitOptions): Promise<{ ahead: number }> {
    const result = await workspace.sandbox.exec({
      command: ['sh', '-c', COMMIT_SCRIPT],
      stdin: options.message,
      env: { BZZZ_AGENT: `bzzz agent ${options.agent}`, BZZZ_BASE: options.base, BZZZ_TASK: options.key },
    });
    if (result.exitCode !== 0)
      throw new Error(`commit failed (exit ${result.exitCode}): ${result.stderr.slice(-500)}`);
    return { ahead: Number(result.stdout.trim().split('\n').at(-1)) };
  }

  async destroy(workspace: Pick<Workspace, 'sandbox' | 'scratch'>): Promise<void> {
    // the sandbox first: nothing in it may still write to the clone while the clone is removed
    await workspace.sandbox.destroy().catch((error: unknown) => {
      this.#components.logger.error(
        { sandbox: workspace.sandbox.id, err: describeError(error) },
        'could not destroy sandbox',
      );
    });
    await rm(workspace.scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}
