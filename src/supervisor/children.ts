/**
 * The children of one supervisor: an entry per child spec, in start order, with the state of
 * its current instance, and the starting, stopping and forgetting of those instances. What to
 * do when a child exits (restart, give up) is the supervisor's; this module only reports the
 * exit of the instance that is running.
 */
import type { TimerHandle } from '../lib/clock.js';
import { childPath } from '../actors/message.js';
import type { ChildSpec, ChildType, ExitReason, RunningChild, StartContext } from './child.js';
import { ChildSpecError } from './errors.js';
import { stopChild } from './stop-child.js';
import type { Strategy, SupervisorComponents } from './types.js';

export type EntryState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

/** One child spec and its current instance. */
export interface Entry {
  readonly spec: ChildSpec;
  readonly path: string;
  state: EntryState;
  child: RunningChild | undefined;
  /** Bumped at every start, so a late exit of an earlier instance is recognised. */
  instance: number;
  /** Restarts in a row without a steady run in between (drives backoff). */
  consecutive: number;
  startedAt: number;
  timer: TimerHandle | undefined;
}

/** What `whichChildren` tells about a child. */
export interface ChildInfo {
  id: string;
  path: string;
  type: ChildType;
  state: EntryState;
  restart: NonNullable<ChildSpec['restart']>;
}

/** Called when the running instance `instance` of `entry` exits. */
export type EntryExit = (entry: Entry, instance: number, reason: ExitReason) => void;

export class Children {
  readonly #path: string;
  readonly #strategy: Strategy;
  readonly #components: SupervisorComponents;
  readonly #onExit: EntryExit;
  readonly #entries = new Map<string, Entry>();

  constructor(path: string, strategy: Strategy, components: SupervisorComponents, onExit: EntryExit) {
    this.#path = path;
    this.#strategy = strategy;
    this.#components = components;
    this.#onExit = onExit;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): Entry | undefined {
    return this.#entries.get(id);
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  /** The entries in start order. */
  all(): Entry[] {
    return [...this.#entries.values()];
  }

  /** Adds a stopped entry for `spec`; throws ChildSpecError if its id is in use. */
  add(spec: ChildSpec): Entry {
    if (this.#entries.has(spec.id))
      throw new ChildSpecError(this.#path, `child id ${spec.id} already in use`);
    const entry: Entry = {
      spec,
      path: childPath(this.#path, spec.id),
      state: 'stopped',
      child: undefined,
      instance: 0,
      consecutive: 0,
      startedAt: 0,
      timer: undefined,
    };
    this.#entries.set(spec.id, entry);
    return entry;
  }

  /** Starts a new instance of `entry`; its exit is reported while it is the running one. */
  async start(entry: Entry): Promise<void> {
    entry.state = 'starting';
    const instance = ++entry.instance;
    const { system, clock, logger } = this.#components;
    const ctx: StartContext = { path: entry.path, system, clock, logger };
    let child: RunningChild;
    try {
      child = await entry.spec.start(ctx);
    } catch (error) {
      entry.state = 'stopped';
      throw error;
    }
    entry.child = child;
    entry.state = 'running';
    entry.startedAt = clock.now();
    this.#components.metrics?.started(entry.spec.type ?? 'worker');
    child.onExit((reason) => {
      this.#components.metrics?.stopped(entry.spec.type ?? 'worker');
      if (entry.instance !== instance || entry.state !== 'running') return;
      this.#onExit(entry, instance, reason);
    });
  }

  /** Stops the running instance within its shutdown; `forget` also drops its mailbox. */
  async stop(entry: Entry, forget: boolean): Promise<void> {
    const child = entry.child;
    if (child !== undefined && entry.state === 'running') {
      entry.state = 'stopping';
      const outcome = await stopChild(child, entry.spec, this.#components.clock);
      if (outcome === 'killed') {
        this.#components.logger.warn(
          { supervisor: this.#path, child: entry.spec.id, shutdown: entry.spec.shutdown },
          'child did not stop within its shutdown timeout; killed',
        );
      }
    }
    entry.child = undefined;
    entry.state = 'stopped';
    if (forget) this.#components.system.unregister(entry.path);
  }

  /** Stops every child: in reverse start order, or (dynamic) all at once. */
  async stopAll(): Promise<void> {
    const entries = this.all();
    if (this.#strategy === 'dynamic') {
      await Promise.all(entries.map((e) => this.stop(e, true)));
    } else {
      for (const entry of entries.reverse()) await this.stop(entry, true);
    }
  }

  /** Drops a child that will not run again: its mailbox, and its entry when nothing restarts it. */
  forget(entry: Entry): void {
    this.#components.system.unregister(entry.path);
    if (this.#strategy === 'dynamic' || (entry.spec.restart ?? 'permanent') === 'temporary') {
      this.#entries.delete(entry.spec.id);
    }
  }

  /** Cancels a pending restart of `entry`. */
  cancelTimer(entry: Entry): void {
    if (entry.timer !== undefined) {
      this.#components.clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  info(): ChildInfo[] {
    return this.all().map((e) => ({
      id: e.spec.id,
      path: e.path,
      type: e.spec.type ?? 'worker',
      state: e.state,
      restart: e.spec.restart ?? 'permanent',
    }));
  }

  /** Paths of the deepest children that are still stopping. */
  stuck(): string[] {
    const out: string[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'stopping') continue;
      const inner = entry.child?.stuck?.() ?? [];
      out.push(...(inner.length > 0 ? inner : [entry.path]));
    }
    return out;
  }
}
