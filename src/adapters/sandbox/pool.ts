/**
 * A warm pool of sandboxes: for each configured spec (an image and its limits) it keeps
 * `size` sandboxes created and started, so a task gets one in the time of a hand-over
 * instead of a container start. Refills run in the background. A returned sandbox is reset
 * (processes killed, work dir and /tmp emptied) before it is idle again, or destroyed if the
 * reset fails; a lease that was returned refuses further use, so no task ever sees a sandbox
 * another task touched.
 */
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { PoolStoppedError, SandboxDestroyedError } from './errors.js';
import type {
  ExecRequest,
  ExecResult,
  Sandbox,
  SandboxBackend,
  SandboxComponents,
  SandboxSpec,
} from './types.js';

export interface PoolEntry {
  /** The name `acquire` asks for (for example the image). */
  key: string;
  /** Created as is; per-task env and secrets come with each lease. */
  spec: Omit<SandboxSpec, 'workDir' | 'task' | 'secrets'>;
  /** Sandboxes kept ready. */
  size: number;
}

export interface PoolInit {
  backend: SandboxBackend;
  entries: readonly PoolEntry[];
}

/** What a task adds to a pooled sandbox. */
export interface Lease {
  env?: Readonly<Record<string, string>>;
  secrets?: readonly string[];
}

interface Slot {
  entry: PoolEntry;
  idle: Sandbox[];
  creating: number;
}

export class SandboxPool {
  readonly #slots = new Map<string, Slot>();
  readonly #leased = new Set<Sandbox>();
  readonly #background = new Set<Promise<void>>();
  readonly #log: Logger;
  #stopped = false;

  constructor(
    private readonly init: PoolInit,
    components: SandboxComponents,
  ) {
    this.#log = components.logger.child({ component: 'sandbox-pool' });
    for (const entry of init.entries) {
      if (!Number.isInteger(entry.size) || entry.size < 0) throw new RangeError(`pool size of ${entry.key}`);
      this.#slots.set(entry.key, { entry, idle: [], creating: 0 });
    }
  }

  /** Fills every entry; resolves once the first fill settled (failures are logged). */
  async start(): Promise<void> {
    if (this.#stopped) throw new PoolStoppedError();
    for (const slot of this.#slots.values()) this.#refill(slot);
    await this.settled();
  }

  /** Resolves when no background creation or reset is running. */
  async settled(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Idle sandboxes ready for `key`. */
  idle(key: string): number {
    return this.#slots.get(key)?.idle.length ?? 0;
  }

  /** A clean sandbox for `key`: a warm one if any is idle, else one created now. */
  async acquire(key: string, lease: Lease = {}): Promise<Sandbox> {
    if (this.#stopped) throw new PoolStoppedError();
    const slot = this.#slots.get(key);
    if (slot === undefined) throw new RangeError(`no pool entry ${JSON.stringify(key)}`);
    const sandbox = slot.idle.shift() ?? (await this.init.backend.create(slot.entry.spec));
    this.#refill(slot);
    if (this.#stopped) {
      await sandbox.destroy();
      throw new PoolStoppedError();
    }
    this.#leased.add(sandbox);
    return new LeasedSandbox(sandbox, lease, (s) => this.#giveBack(slot, s));
  }

  /** Returns a leased sandbox; it is reset in the background before anyone gets it again. */
  async release(sandbox: Sandbox): Promise<void> {
    if (sandbox instanceof LeasedSandbox) await sandbox.release();
    else await sandbox.destroy();
  }

  /** Destroys every sandbox, idle and leased; waits for background work first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.settled();
    const all = [...this.#leased, ...[...this.#slots.values()].flatMap((s) => s.idle.splice(0))];
    this.#leased.clear();
    await Promise.all(all.map((s) => s.destroy()));
  }

  #giveBack(slot: Slot, sandbox: Sandbox): Promise<void> {
    this.#leased.delete(sandbox);
    if (this.#stopped || sandbox.destroyed || slot.idle.length + slot.creating >= slot.entry.size) {
      return sandbox.destroy();
    }
    this.#track(
      sandbox.reset().then(
        () => {
          if (this.#stopped || slot.idle.length >= slot.entry.size) return sandbox.destroy();
          slot.idle.push(sandbox);
          return undefined;
        },
        (error: unknown) => {
          this.#log.warn({ err: describeError(error) }, 'sandbox reset failed; discarding it');
          return sandbox.destroy();
        },
      ),
    );
    return Promise.resolve();
  }

  #refill(slot: Slot): void {
    while (!this.#stopped && slot.idle.length + slot.creating < slot.entry.size) {
      slot.creating++;
      this.#track(
        this.init.backend.create(slot.entry.spec).then(
          async (sandbox) => {
            slot.creating--;
            if (this.#stopped) await sandbox.destroy();
            else slot.idle.push(sandbox);
          },
          (error: unknown) => {
            slot.creating--;
            this.#log.warn(
              { key: slot.entry.key, err: describeError(error) },
              'warm sandbox creation failed',
            );
          },
        ),
      );
      // One failed creation must not spin: the next acquire or release tries again.
      if (slot.creating > slot.entry.size) break;
    }
  }

  #track(work: Promise<unknown>): void {
    const done: Promise<void> = work.then(
      () => undefined,
      () => undefined,
    );
    this.#background.add(done);
    void done.finally(() => this.#background.delete(done));
  }
}

/** A pooled sandbox as one task sees it: its env and secrets added, unusable once returned. */
class LeasedSandbox implements Sandbox {
  #returned: Promise<void> | undefined;

  constructor(
    private readonly inner: Sandbox,
    private readonly lease: Lease,
    private readonly giveBack: (s: Sandbox) => Promise<void>,
  ) {}

  get id(): string {
    return this.inner.id;
  }
  get backend(): Sandbox['backend'] {
    return this.inner.backend;
  }
  get workDir(): string {
    return this.inner.workDir;
  }
  get destroyed(): boolean {
    return this.#returned !== undefined || this.inner.destroyed;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    this.#check();
    return await this.inner.exec({
      ...request,
      env: { ...this.lease.env, ...request.env },
      secrets: [...(this.lease.secrets ?? []), ...(request.secrets ?? [])],
    });
  }
  async copyIn(hostPath: string, to?: string): Promise<void> {
    this.#check();
    await this.inner.copyIn(hostPath, to);
  }
  async copyOut(from: string, hostPath: string): Promise<void> {
    this.#check();
    await this.inner.copyOut(from, hostPath);
  }
  async reset(): Promise<void> {
    this.#check();
    await this.inner.reset();
  }
  /** Returns the sandbox to the pool (reset there), never to be used through this lease again. */
  release(): Promise<void> {
    this.#returned ??= this.giveBack(this.inner);
    return this.#returned;
  }
  /** Destroys the sandbox for good; the pool creates another. */
  destroy(): Promise<void> {
    this.#returned ??= this.inner.destroy().then(() => this.giveBack(this.inner));
    return this.#returned;
  }

  #check(): void {
    if (this.destroyed) throw new SandboxDestroyedError(this.inner.id);
  }
}
