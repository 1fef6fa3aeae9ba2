/**
 * Resource limits for the bwrap backend. With a writable cgroup v2 tree (or the v1 memory,
 * pids and cpu hierarchies, as on older hosts) each sandbox gets its own cgroup: memory
 * without swap, pids, a CPU quota, an OOM-kill counter and a way to kill everything in it.
 * Without either, limits fall back to `prlimit` (address space, processes) and out-of-memory
 * cannot be told apart from other failures.
 */
import { access, constants, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxLimits } from './types.js';

export type CgroupMode = 'v2' | 'v1' | 'prlimit';

const ROOT = '/sys/fs/cgroup';
const GROUP = 'bzzz-sandbox';
const V1_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds which limit mechanism this host offers, preparing the `bzzz-sandbox` parent group. */
export async function detectCgroupMode(): Promise<CgroupMode> {
  try {
    const controllers = await readFile(join(ROOT, 'cgroup.controllers'), 'utf8');
    if (['memory', 'pids', 'cpu'].every((c) => controllers.includes(c)) && (await writable(ROOT))) {
      await mkdir(join(ROOT, GROUP), { recursive: true });
      await writeFile(join(ROOT, 'cgroup.subtree_control'), '+memory +pids +cpu').catch(() => undefined);
      await writeFile(join(ROOT, GROUP, 'cgroup.subtree_control'), '+memory +pids +cpu');
      return 'v2';
    }
  } catch {
    // not a usable v2 tree
  }
  try {
    // Only inside hierarchies that are mounted: not recursive, which would make plain
    // directories on a tmpfs and, on an empty sysfs (`ip netns exec` remounts /sys), never
    // settles (Node 24's recursive mkdir loops on mkdir's ENOENT there).
    for (const c of V1_CONTROLLERS) {
      await mkdir(join(ROOT, c, GROUP)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
    }
    return 'v1';
  } catch {
    return 'prlimit';
  }
}

/** One sandbox's cgroup (a directory per v1 controller, or one v2 directory). */
export class SandboxCgroup {
  private constructor(
    readonly mode: 'v1' | 'v2',
    readonly dirs: readonly string[],
  ) {}

  static async create(mode: 'v1' | 'v2', id: string, limits: SandboxLimits): Promise<SandboxCgroup> {
    const period = 100_000;
    const quota = Math.max(1000, Math.round(limits.cpus * period));
    if (mode === 'v2') {
      const dir = join(ROOT, GROUP, id);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      await writeFile(join(dir, 'pids.max'), String(limits.pids));
      await writeFile(join(dir, 'cpu.max'), `${quota} ${period}`);
      return new SandboxCgroup(mode, [dir]);
    }
    const [memory, pids, cpu] = V1_CONTROLLERS.map((c) => join(ROOT, c, GROUP, id)) as [
      string,
      string,
      string,
    ];
    for (const d of [memory, pids, cpu]) await mkdir(d, { recursive: true });
    await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    await writeFile(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(
      () => undefined,
    );
    await writeFile(join(pids, 'pids.max'), String(limits.pids));
    await writeFile(join(cpu, 'cpu.cfs_period_us'), String(period));
    await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(quota));
    return new SandboxCgroup(mode, [memory, pids, cpu]);
  }

  /** The cgroup of sandbox `id` as an earlier process left it (for leftovers), if any. */
  static async existing(id: string): Promise<SandboxCgroup | undefined> {
    const v2 = join(ROOT, GROUP, id);
    if (await writable(v2)) return new SandboxCgroup('v2', [v2]);
    const v1 = V1_CONTROLLERS.map((c) => join(ROOT, c, GROUP, id));
    const present: string[] = [];
    for (const d of v1) if (await writable(d)) present.push(d);
    return present.length > 0 ? new SandboxCgroup('v1', present) : undefined;
  }

  /** Files a process writes its pid to, to join this cgroup. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** OOM kills so far. */
  async oomKills(): Promise<number> {
    const file = this.mode === 'v2' ? 'memory.events' : 'memory.oom_control';
    const text = await readFile(join(this.dirs[0]!, file), 'utf8').catch(() => '');
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** SIGKILLs every process in the cgroup. */
  async killAll(): Promise<void> {
    if (this.mode === 'v2') {
      const killed = await writeFile(join(this.dirs[0]!, 'cgroup.kill'), '1').then(
        () => true,
        () => false,
      );
      if (killed) return;
    }
    for (let round = 0; round < 20; round++) {
      const pids = await this.#pids();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /**
   * Kills whatever a finished command left and waits (bounded) until the cgroup is empty, so
   * the next command starts with the whole pids and memory budget (a fork bomb's children die
   * asynchronously).
   */
  async settle(timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.killAll();
      if ((await this.#pids()).length === 0 || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Kills what is left and removes the cgroup directories. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const d of this.dirs) {
      for (let i = 0; i < 50; i++) {
        const ok = await rmdir(d).then(
          () => true,
          (e: unknown) => (e as { code?: string }).code === 'ENOENT',
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async #pids(): Promise<number[]> {
    const text = await readFile(join(this.dirs[0]!, 'cgroup.procs'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  }
}
