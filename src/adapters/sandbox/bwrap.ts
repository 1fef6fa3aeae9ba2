/**
 * The bwrap backend (bubblewrap): the same policy as docker with namespaces. Every exec is a
 * fresh `bwrap --unshare-all --die-with-parent --new-session` over the same mounts: the host's
 * system directories (or a given root) read-only, the work dir writable at /work, a private
 * /tmp, no network. It runs as a non-root uid (1000 when bzzz is root); limits come from a
 * per-sandbox cgroup, or prlimit where no cgroup tree is writable.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ulid } from 'ulid';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { bwrapMountArgs } from './bwrap-mounts.js';
import { detectCgroupMode, SandboxCgroup, type CgroupMode } from './cgroup.js';
import { InvalidSandboxSpecError, SandboxDestroyedError, SandboxUnavailableError } from './errors.js';
import { GitRelay, INNER_SOCKET_DIR } from './git-relay.js';
import type {
  ExecRequest,
  ExecResult,
  Sandbox,
  SandboxBackend,
  SandboxComponents,
  SandboxInit,
  SandboxSpec,
} from './types.js';
import { CappedOutput } from './output.js';
import { BASE_ENV, resolveExec, resolveSpec, SANDBOX_UID, type ResolvedSpec } from './spec.js';
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

const isRoot = (): boolean => process.getuid?.() === 0;

export class BwrapBackend implements SandboxBackend {
  readonly name = 'bwrap' as const;
  readonly #live = new Set<BwrapSandbox>();
  readonly #base: string;
  #mode: Promise<CgroupMode> | undefined;

  constructor(
    private readonly init: SandboxInit,
    private readonly components: SandboxComponents,
  ) {
    this.#base = join(init.dataDir, 'sandboxes');
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bwrap', ['--version'], { stdio: 'ignore' });
      child.on('error', (error) =>
        reject(
          new SandboxUnavailableError('bwrap', 'bwrap is not installed (apt-get install bubblewrap)', {
            cause: error,
            retryable: false,
          }),
        ),
      );
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(new SandboxUnavailableError('bwrap', `bwrap --version exited ${code}`)),
      );
    });
    await this.#cgroupMode();
    if (isRoot())
      await mkdir(this.#base, { recursive: true, mode: 0o755 }).then(() => requireTraversable(this.#base));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#live].map((s) => s.destroy()));
  }

  async create(spec: SandboxSpec = {}): Promise<Sandbox> {
    const resolved = resolveSpec(spec);
    const root = resolved.image ?? this.init.image;
    if (root !== undefined && !root.startsWith('/')) {
      throw new InvalidSandboxSpecError('image', 'for bwrap, a root directory (absolute path)');
    }
    const mode = await this.#cgroupMode();
    const id = `bzzz-${ulid().toLowerCase()}`;
    const dir = await prepareWorkDir(this.#base, id, resolved.workDir);
    try {
      await writeFile(
        join(this.#base, id, 'owner'),
        JSON.stringify({ node: this.init.nodeId, pid: process.pid }),
      );
    } catch (error) {
      await removeWorkDir(this.#base, id, dir);
      throw error;
    }
    const sandbox = new BwrapSandbox(id, resolved, dir, this.#base, root, this.components, () =>
      this.#live.delete(sandbox),
    );
    this.#live.add(sandbox);
    try {
      await sandbox.prepare(mode);
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
    return sandbox;
  }

  /** bwrap processes die with their parent; what a crash leaves is directories and cgroups. */
  async removeLeftovers(nodeId: string = this.init.nodeId): Promise<number> {
    const mine = new Set([...this.#live].map((s) => s.id));
    let removed = 0;
    for (const id of await readdir(this.#base).catch(() => [])) {
      if (mine.has(id) || !/^bzzz-[0-9a-z]+$/.test(id)) continue;
      const owner = await readFile(join(this.#base, id, 'owner'), 'utf8')
        .then((t) => JSON.parse(t) as { node?: string; pid?: number })
        .catch(() => undefined);
      if (owner?.node !== nodeId || (owner.pid !== process.pid && alive(owner.pid))) continue;
      await (await SandboxCgroup.existing(id))?.remove();
      await removeWorkDir(this.#base, id, { path: '', owned: true, scratch: '' });
      removed++;
    }
    return removed;
  }

  #cgroupMode(): Promise<CgroupMode> {
    this.#mode ??= detectCgroupMode();
    return this.#mode;
  }
}

/** bwrap runs as the sandbox uid, so it must be able to reach the work dirs under `dir`. */
async function requireTraversable(dir: string): Promise<void> {
  const { uid } = sandboxOwner();
  for (let d = dir; ; d = dirname(d)) {
    const info = await stat(d);
    if (info.uid !== uid && (info.mode & 0o001) === 0) {
      throw new SandboxUnavailableError(
        'bwrap',
        `uid ${uid} cannot reach ${dir}: ${d} is not searchable by others (chmod o+x ${d}, or use another data dir)`,
        { retryable: false },
      );
    }
    if (d === dirname(d)) return;
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

class BwrapSandbox implements Sandbox {
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
    const bwrap = [
      'bwrap',
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--uid',
      String(SANDBOX_UID),
      '--gid',
      String(SANDBOX_UID),
      '--hostname',
      'sandbox',
      ...mounts,
      '--bind',
      this.dir.scratch,
      '/tmp',
      '--bind',
      this.dir.path,
      '/work',
      ...(this.#relay !== undefined ? ['--ro-bind', this.#relay.socketDir, INNER_SOCKET_DIR] : []),
      '--chdir',
      req.cwd,
      '--',
      ...(this.#relay !== undefined ? this.#relay.innerWrapper() : []),
      ...req.command,
    ];
    if (this.#relay !== undefined) env.BZZZ_GIT_REMOTE = this.#relay.innerAddress;
    const owner = sandboxOwner();
    const drop = isRoot()
      ? ['setpriv', `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--']
      : [];
    const rlimits =
      this.#cgroup === undefined
        ? ['prlimit', `--as=${limits.memoryBytes}`, `--nproc=${limits.pids}`, '--']
        : [];
    const join_ =
      this.#cgroup === undefined
        ? []
        : [
            'sh',
            '-c',
            'for p in $0; do echo $$ > "$p" || exit 125; done; exec "$@"',
            this.#cgroup.procsFiles.join(' '),
          ];
    const argv = [...join_, ...rlimits, ...drop, ...bwrap];
    const started = process.hrtime.bigint();
    const stdout = new CappedOutput(limits.outputBytes, req.redactor);
    const stderr = new CappedOutput(limits.outputBytes, req.redactor);
    const child = spawn(argv[0]!, argv.slice(1), { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let timedOut = false;
    const kill = async (): Promise<void> => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.#cgroup?.killAll();
    };
    this.#running.add(kill);
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
      (resolve) => {
        child.on('error', (error) => resolve({ code: null, signal: null, error }));
        child.on('close', (code, signal) => resolve({ code, signal }));
      },
    );
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.stdin);
    const timer = this.components.clock.setTimeout(() => {
      timedOut = true;
      void kill();
    }, req.timeoutMs);
    const end = await closed;
    this.components.clock.clearTimeout(timer);
    await this.#cgroup?.settle();
    this.#running.delete(kill);
    if (end.error !== undefined) {
      throw new SandboxUnavailableError('bwrap', describeError(end.error), {
        cause: end.error,
        retryable: false,
      });
    }
    const exitCode = timedOut ? 137 : (end.code ?? 128 + signalNumber(end.signal));
    let outOfMemory = false;
    if (!timedOut && exitCode !== 0 && this.#cgroup !== undefined) {
      const count = await this.#cgroup.oomKills();
      outOfMemory = count > this.#oomSeen;
      this.#oomSeen = count;
    }
    const result: ExecResult = {
      exitCode,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      timedOut,
      outOfMemory,
    };
    this.#log.debug(
      { command: req.redactor.redact(req.command.join(' ')), exitCode, timedOut, outOfMemory },
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

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 1 : (SIGNALS[signal] ?? 1);
}
