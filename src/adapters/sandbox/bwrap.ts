/**
 * The bwrap backend (bubblewrap): the same policy as docker with namespaces. Every exec is a
 * fresh `bwrap --unshare-all --die-with-parent --new-session` over the same mounts: the host's
 * system directories (or a given root) read-only, the work dir writable at /work, a private
 * /tmp, no network. It runs as a non-root uid (1000 when bzzz is root); limits come from a
 * per-sandbox cgroup, or prlimit where no cgroup tree is writable.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ulid } from 'ulid';
import { isRoot } from './bwrap-argv.js';
import { BwrapSandbox } from './bwrap-sandbox.js';
import { detectCgroupMode, SandboxCgroup, type CgroupMode } from './cgroup.js';
import { InvalidSandboxSpecError, SandboxUnavailableError } from './errors.js';
import { abandonedSandboxes, writeOwner } from './owner.js';
import type { Sandbox, SandboxBackend, SandboxComponents, SandboxInit, SandboxSpec } from './types.js';
import { resolveSpec } from './spec.js';
import { prepareWorkDir, removeWorkDir, sandboxOwner } from './workdir.js';

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
      await writeOwner(this.#base, id, this.init.nodeId);
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
    for (const id of await abandonedSandboxes(this.#base, nodeId, mine)) {
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
