/**
 * One docker sandbox: a container whose keeper waits while commands exec in it (docker-exec.ts),
 * the work dir bind-mounted at /work, and a git relay when its network policy allows git. A
 * command past its wall time restarts the container, which kills every process in it. The
 * container dies with this process (docker-keeper.ts).
 */
import type Docker from 'dockerode';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { containerOptions } from './docker-container.js';
import { runDockerExec } from './docker-exec.js';
import { DeadMansSwitch } from './docker-keeper.js';
import { statusOf } from './docker-labels.js';
import { SandboxDestroyedError, SandboxOperationError } from './errors.js';
import { GitRelay } from './git-relay.js';
import { BASE_ENV, resolveExec, SANDBOX_WORK_DIR, type ResolvedSpec } from './spec.js';
import type { ExecRequest, ExecResult, Sandbox, SandboxComponents } from './types.js';
import {
  CopyTracker,
  copyIntoWorkDir,
  copyOutOfWorkDir,
  emptyDir,
  removeWorkDir,
  sandboxOwner,
  type WorkDir,
} from './workdir.js';

export class DockerSandbox implements Sandbox {
  readonly backend = 'docker' as const;
  readonly #container: Docker.Container;
  readonly #user: string;
  readonly #log: Logger;
  readonly #switch: DeadMansSwitch;
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
    this.#switch = new DeadMansSwitch(this.#container, this.#log);
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
      await this.docker.createContainer(
        containerOptions({
          id: this.id,
          image,
          user: this.#user,
          nodeId,
          task: this.spec.task,
          env,
          binds,
          limits,
        }),
      );
      await this.#switch.arm();
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
    this.#switch.release();
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
      // the restart ended the attachment: the new keeper waits on a stdin nobody holds yet
      await this.#switch.arm();
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
