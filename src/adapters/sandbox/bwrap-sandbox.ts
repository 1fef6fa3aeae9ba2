/**
 * One bwrap sandbox: a work dir, a private /etc and /tmp, a cgroup (or prlimit) for its limits,
 * and a git relay when its network policy allows git. Every exec is a fresh bwrap process over
 * the same mounts (bwrap-argv.ts), run to its end by bwrap-process.ts.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { bwrapArgv } from './bwrap-argv.js';
import { bwrapMountArgs } from './bwrap-mounts.js';
import { runContained } from './bwrap-process.js';
import { SandboxCgroup, type CgroupMode } from './cgroup.js';
import { SandboxDestroyedError } from './errors.js';
import { GitRelay } from './git-relay.js';
import { BASE_ENV, resolveExec, SANDBOX_UID, type ResolvedSpec } from './spec.js';
import type { ExecRequest, ExecResult, Sandbox, SandboxComponents } from './types.js';
import {
  CopyTracker,
  copyIntoWorkDir,
  copyOutOfWorkDir,
  emptyDir,
  removeWorkDir,
  type WorkDir,
} from './workdir.js';

export class BwrapSandbox implements Sandbox {
  readonly backend = 'bwrap' as const;
  readonly #log: Logger;
  readonly #running = new Set<() => Promise<void>>();
  #cgroup: SandboxCgroup | undefined;
  #relay: GitRelay | undefined;
  #oomSeen = 0;
  #destroying: Promise<void> | undefined;
  readonly #copies = new CopyTracker();

  constructor(
    readonly id: string,
    private readonly spec: ResolvedSpec,
    private readonly dir: WorkDir,
    private readonly base: string,
    private readonly root: string | undefined,
    private readonly components: SandboxComponents,
    private readonly forget: () => void,
  ) {
    this.#log = components.logger.child({ sandbox: id, backend: 'bwrap' });
  }

  get workDir(): string {
    return this.dir.path;
  }

  get destroyed(): boolean {
    return this.#destroying !== undefined;
  }

  async prepare(mode: CgroupMode): Promise<void> {
    if (mode !== 'prlimit') this.#cgroup = await SandboxCgroup.create(mode, this.id, this.spec.limits);
    const etc = join(this.base, this.id, 'etc');
    await mkdir(etc, { recursive: true });
    await writeFile(
      join(etc, 'passwd'),
      `root:x:0:0:root:/root:/bin/sh\nbzzz:x:${SANDBOX_UID}:${SANDBOX_UID}:bzzz sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    );
    await writeFile(join(etc, 'group'), `root:x:0:\nbzzz:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`);
    await writeFile(join(etc, 'hosts'), '127.0.0.1 localhost sandbox\n::1 localhost\n');
    if (this.spec.network.mode === 'git') {
      this.#relay = new GitRelay(this.spec.network.remote, this.dir.scratch, this.components.logger);
      await this.#relay.start();
    }
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    if (this.destroyed) throw new SandboxDestroyedError(this.id);
    const req = resolveExec(request, this.spec.limits, this.spec.redactor);
    const env: Record<string, string> = { ...BASE_ENV, ...this.spec.env, ...req.env };
    const limits = this.spec.limits;
    const mounts = await bwrapMountArgs(this.root, join(this.base, this.id, 'etc'));
    if (this.destroyed) {
      // destroyed while the mounts were prepared: what they wrote must not outlive the sandbox
      await this.#destroying;
      await rm(join(this.base, this.id), { recursive: true, force: true });
      throw new SandboxDestroyedError(this.id);
    }
    const relay = this.#relay;
    if (relay !== undefined) env.BZZZ_GIT_REMOTE = relay.innerAddress;
    const argv = bwrapArgv({ request: req, limits, mounts, dir: this.dir, relay, cgroup: this.#cgroup });
    const run = await runContained({
      argv,
      env,
      request: req,
      outputBytes: limits.outputBytes,
      cgroup: this.#cgroup,
      clock: this.components.clock,
      running: this.#running,
    });
    const { exitCode, timedOut } = run;
    let outOfMemory = false;
    if (!timedOut && exitCode !== 0 && this.#cgroup !== undefined) {
      const count = await this.#cgroup.oomKills();
      outOfMemory = count > this.#oomSeen;
      this.#oomSeen = count;
    }
    this.#log.debug(
      { command: req.redactor.redact(req.command.join(' ')), exitCode, timedOut, outOfMemory },
      'sandbox exec',
    );
    return { ...run, outOfMemory };
  }

  async copyIn(hostPath: string, to = '.'): Promise<void> {
    if (this.destroyed) throw new SandboxDestroyedError(this.id);
    await this.#copies.track(copyIntoWorkDir(this.id, this.dir.path, hostPath, to));
  }

  async copyOut(from: string, hostPath: string): Promise<void> {
    if (this.destroyed) throw new SandboxDestroyedError(this.id);
    await this.#copies.track(copyOutOfWorkDir(this.id, this.dir.path, from, hostPath));
  }

  async reset(): Promise<void> {
    if (this.destroyed) throw new SandboxDestroyedError(this.id);
    await Promise.all([...this.#running].map((k) => k()));
    await emptyDir(this.dir.path);
    await emptyDir(this.dir.scratch);
    if (this.#relay !== undefined) await this.#relay.start();
  }

  destroy(): Promise<void> {
    this.#destroying ??= this.#remove();
    return this.#destroying;
  }

  async #remove(): Promise<void> {
    await this.#copies.settled();
    await Promise.all([...this.#running].map((k) => k()));
    await this.#cgroup?.remove().catch((error: unknown) => {
      this.#log.warn({ err: describeError(error) }, 'removing sandbox cgroup failed');
    });
    await this.#relay?.stop();
    await removeWorkDir(this.base, this.id, this.dir).catch((error: unknown) => {
      this.#log.warn({ err: describeError(error) }, 'removing sandbox work dir failed');
    });
    this.forget();
  }
}
