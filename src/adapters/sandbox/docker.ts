/**
 * The docker backend (dockerode), hardened as SPEC §9 says by default: a non-root user, every
 * capability dropped, no-new-privileges, a read-only root with a tmpfs /tmp and the work dir
 * as the only writable host mount, memory, CPU and pids limits, wall time per command, no
 * network (or only the git remote), no Docker socket. Containers carry `bzzz.node` and
 * `bzzz.task` labels so a node can remove what an earlier crash left behind.
 */
import { join } from 'node:path';
import Docker from 'dockerode';
import { ulid } from 'ulid';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { runDockerExec } from './docker-exec.js';
import {
  SandboxDestroyedError,
  SandboxImageMissingError,
  SandboxOperationError,
  SandboxUnavailableError,
} from './errors.js';
import { GitRelay } from './git-relay.js';
import { defaultImageRef } from './image.js';
import type {
  ExecRequest,
  ExecResult,
  Sandbox,
  SandboxBackend,
  SandboxComponents,
  SandboxInit,
  SandboxSpec,
} from './types.js';
import { BASE_ENV, resolveExec, resolveSpec, SANDBOX_WORK_DIR, type ResolvedSpec } from './spec.js';
import {
  CopyTracker,
  copyIntoWorkDir,
  copyOutOfWorkDir,
  emptyDir,
  prepareWorkDir,
  removeWorkDir,
  sandboxOwner,
  type WorkDir,
} from './workdir.js';

export const LABEL_NODE = 'bzzz.node';
export const LABEL_TASK = 'bzzz.task';
export const LABEL_SANDBOX = 'bzzz.sandbox';

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

export class DockerBackend implements SandboxBackend {
  readonly name = 'docker' as const;
  readonly #docker = new Docker();
  readonly #live = new Set<DockerSandbox>();
  readonly #base: string;

  constructor(
    private readonly init: SandboxInit,
    private readonly components: SandboxComponents,
  ) {
    this.#base = join(init.dataDir, 'sandboxes');
  }

  async start(): Promise<void> {
    try {
      await this.#docker.ping();
    } catch (error) {
      throw new SandboxUnavailableError(
        'docker',
        `the Docker engine does not answer (${describeError(error)})`,
        {
          cause: error,
        },
      );
    }
  }

  /** Destroys every sandbox this backend created and still holds. */
  async stop(): Promise<void> {
    await Promise.all([...this.#live].map((s) => s.destroy()));
  }

  async create(spec: SandboxSpec = {}): Promise<Sandbox> {
    const resolved = resolveSpec(spec);
    const image = resolved.image ?? this.init.image ?? defaultImageRef();
    await this.#requireImage(image);
    const id = `bzzz-${ulid().toLowerCase()}`;
    const workDir = await prepareWorkDir(this.#base, id, resolved.workDir);
    const sandbox = new DockerSandbox(id, this.#docker, resolved, workDir, this.#base, this.components, () =>
      this.#live.delete(sandbox),
    );
    this.#live.add(sandbox);
    try {
      await sandbox.boot(image, this.init.nodeId);
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
    return sandbox;
  }

  async removeLeftovers(nodeId: string = this.init.nodeId): Promise<number> {
    const found = await this.#docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_NODE}=${nodeId}`] },
    });
    const mine = new Set([...this.#live].map((s) => s.id));
    let removed = 0;
    for (const info of found) {
      const id = info.Labels[LABEL_SANDBOX] ?? '';
      if (mine.has(id)) continue;
      try {
        await this.#docker.getContainer(info.Id).remove({ force: true, v: true });
        removed++;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      if (/^bzzz-[0-9a-z]+$/.test(id))
        await removeWorkDir(this.#base, id, { path: '', owned: true, scratch: '' });
    }
    if (removed > 0) this.components.logger.warn({ nodeId, removed }, 'removed leftover sandbox containers');
    return removed;
  }

  async #requireImage(image: string): Promise<void> {
    try {
      await this.#docker.getImage(image).inspect();
    } catch (error) {
      if (statusOf(error) === 404) throw new SandboxImageMissingError(image, { cause: error });
      throw new SandboxUnavailableError('docker', describeError(error), { cause: error });
    }
  }
}

class DockerSandbox implements Sandbox {
  readonly backend = 'docker' as const;
  readonly #container: Docker.Container;
  readonly #user: string;
  readonly #log: Logger;
  #destroying: Promise<void> | undefined;
  readonly #copies = new CopyTracker();
  #relay: GitRelay | undefined;
  /** OOM kills counted so far in the container's memory cgroup. */
  #oomSeen = 0;

  constructor(
    readonly id: string,
    private readonly docker: Docker,
    private readonly spec: ResolvedSpec,
    private readonly dir: WorkDir,
    private readonly base: string,
    private readonly components: SandboxComponents,
    private readonly forget: () => void,
  ) {
    this.#container = docker.getContainer(id);
    const owner = sandboxOwner();
    this.#user = `${owner.uid}:${owner.gid}`;
    this.#log = components.logger.child({ sandbox: id, backend: 'docker' });
  }

  get workDir(): string {
    return this.dir.path;
  }

  get destroyed(): boolean {
    return this.#destroying !== undefined;
  }

  async boot(image: string, nodeId: string): Promise<void> {
    const { limits, network } = this.spec;
    const binds = [`${this.dir.path}:${SANDBOX_WORK_DIR}:rw`];
    const env = { ...BASE_ENV, ...this.spec.env };
    if (network.mode === 'git') {
      this.#relay = new GitRelay(network.remote, this.dir.scratch, this.components.logger);
      await this.#relay.start();
      binds.push(`${this.#relay.socketDir}:/run/bzzz-git:ro`);
      env.BZZZ_GIT_REMOTE = this.#relay.innerAddress;
    }
    try {
      await this.docker.createContainer({
        name: this.id,
        Image: image,
        Cmd: ['sleep', 'infinity'],
        User: this.#user,
        WorkingDir: SANDBOX_WORK_DIR,
        Hostname: 'sandbox',
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: { [LABEL_NODE]: nodeId, [LABEL_TASK]: this.spec.task, [LABEL_SANDBOX]: this.id },
        HostConfig: {
          Binds: binds,
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${Math.floor(limits.memoryBytes / 2)},mode=1777` },
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Memory: limits.memoryBytes,
          MemorySwap: limits.memoryBytes,
          NanoCpus: Math.round(limits.cpus * 1e9),
          PidsLimit: limits.pids,
          NetworkMode: 'none',
          Init: true,
          IpcMode: 'private',
          Privileged: false,
          RestartPolicy: { Name: 'no' },
          LogConfig: { Type: 'none', Config: {} },
        },
      });
      await this.#container.start();
    } catch (error) {
      throw this.#fail('create', error);
    }
    if (this.#relay !== undefined) await this.#startInnerForwarder();
    this.#log.debug({ image, task: this.spec.task }, 'sandbox started');
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    if (this.destroyed) throw new SandboxDestroyedError(this.id);
    const req = resolveExec(request, this.spec.limits, this.spec.redactor);
    req.env = { ...BASE_ENV, ...this.spec.env, ...req.env };
    if (this.#relay !== undefined) req.env.BZZZ_GIT_REMOTE = this.#relay.innerAddress;
    const redactor = req.redactor;
    let outcome;
    try {
      outcome = await runDockerExec(
        this.#container,
        this.#user,
        req,
        this.spec.limits,
        redactor,
        this.components.clock,
        () => this.#restart(),
      );
    } catch (error) {
      if (this.destroyed) throw new SandboxDestroyedError(this.id);
      throw this.#fail('exec', error);
    }
    const exitCode = outcome.timedOut ? 137 : (outcome.exitCode ?? 137);
    const outOfMemory = !outcome.timedOut && exitCode !== 0 && (await this.#oomKilledSinceLastLook());
    const result: ExecResult = {
      exitCode,
      stdout: outcome.stdout.text(),
      stderr: outcome.stderr.text(),
      stdoutTruncated: outcome.stdout.truncated,
      stderrTruncated: outcome.stderr.truncated,
      durationMs: outcome.durationMs,
      timedOut: outcome.timedOut,
      outOfMemory,
    };
    this.#log.debug(
      { command: redactor.redact(req.command.join(' ')), exitCode, timedOut: result.timedOut, outOfMemory },
      'sandbox exec',
    );
    return result;
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
    await this.#restart();
    await emptyDir(this.dir.path);
    if (this.#relay !== undefined) await this.#startInnerForwarder();
  }

  destroy(): Promise<void> {
    this.#destroying ??= this.#remove();
    return this.#destroying;
  }

  async #remove(): Promise<void> {
    await this.#copies.settled();
    try {
      await this.#container.remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 409) {
        this.#log.warn({ err: describeError(error) }, 'removing sandbox container failed');
      }
    }
    await this.#relay?.stop();
    await removeWorkDir(this.base, this.id, this.dir).catch((error: unknown) => {
      this.#log.warn({ err: describeError(error) }, 'removing sandbox work dir failed');
    });
    this.forget();
  }

  /** Kills every process of the sandbox (PID 1 included) and starts it afresh. */
  async #restart(): Promise<void> {
    if (this.destroyed) return;
    try {
      await this.#container.restart({ t: 0 });
      this.#oomSeen = 0;
    } catch (error) {
      if (!this.destroyed) throw this.#fail('restart', error);
    }
  }

  /** Reads the memory cgroup's OOM-kill counter from inside (v2 `memory.events`, v1 `oom_control`). */
  async #oomKilledSinceLastLook(): Promise<boolean> {
    try {
      const probe = await runDockerExec(
        this.#container,
        this.#user,
        {
          command: [
            'sh',
            '-c',
            'cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null',
          ],
          stdin: undefined,
          timeoutMs: 10_000,
          env: {},
          cwd: '/',
          redactor: this.spec.redactor,
        },
        { outputBytes: 4096 },
        this.spec.redactor,
        this.components.clock,
        () => Promise.resolve(),
      );
      const count = Number(/^oom_kill (\d+)$/m.exec(probe.stdout.text())?.[1] ?? 0);
      const grew = count > this.#oomSeen;
      this.#oomSeen = count;
      return grew;
    } catch {
      return false;
    }
  }

  async #startInnerForwarder(): Promise<void> {
    const relay = this.#relay;
    if (relay === undefined) return;
    const cmd = relay.innerForwarderCommand();
    const exec = await this.#container.exec({ Cmd: cmd, User: this.#user });
    await exec.start({ Detach: true });
    await relay.waitInnerReady((c) => this.exec({ command: c, timeoutMs: 5000 }).then((r) => r.exitCode));
  }

  #fail(operation: string, error: unknown): SandboxOperationError {
    const reason = this.spec.redactor.redact(describeError(error));
    const status = statusOf(error);
    return new SandboxOperationError(operation, this.id, reason, {
      cause: error,
      retryable: status === undefined || status >= 500,
    });
  }
}
