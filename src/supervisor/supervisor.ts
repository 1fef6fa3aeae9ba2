/**
 * A supervisor with Erlang/OTP semantics over any {@link RunningChild} (XState actors,
 * servers, nested supervisors). It starts its children in order (each ready before the
 * next), stops them in reverse order within their shutdown timeouts, and restarts them by
 * strategy when they exit: `one_for_one`, `one_for_all`, `rest_for_one`, or dynamic
 * (OTP's simple_one_for_one) for many short-lived children.
 *
 * A child's exit reaches the supervisor as a message on its own serial queue; nothing runs
 * concurrently inside a supervisor. Too many restarts in the period, or a permanent child
 * failing with a non-retryable error, make the supervisor stop its children and exit with
 * an error, which its parent sees as the crash of one of its own children.
 */
import { describeError, isNonRetryable } from '../lib/errors.js';
import type { TimerHandle } from '../lib/clock.js';
import { childPath } from '../actors/message.js';
import {
  ExitSignal,
  SHUTDOWN,
  type ChildSpec,
  type ChildType,
  type ExitReason,
  type RunningChild,
  type StartContext,
} from './child.js';
import { ChildFailedError, ChildSpecError, RestartIntensityError, StartFailedError } from './errors.js';
import { Backoff, RestartIntensity, type BackoffOptions, type IntensityOptions } from './restart-policy.js';
import type { SupervisorComponents, SupervisorInit, Strategy } from './types.js';
import { SerialQueue } from './serial-queue.js';
import { stopChild } from './stop-child.js';

type EntryState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

interface Entry {
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

export interface ChildInfo {
  id: string;
  path: string;
  type: ChildType;
  state: EntryState;
  restart: NonNullable<ChildSpec['restart']>;
}

export class Supervisor {
  readonly path: string;
  readonly strategy: Strategy;
  readonly #components: SupervisorComponents;
  readonly #entries = new Map<string, Entry>();
  readonly #intensity: RestartIntensity;
  readonly #backoff: Backoff;
  readonly #exit = new ExitSignal();
  readonly #initial: readonly ChildSpec[];
  readonly #queue: SerialQueue;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(path: string, init: SupervisorInit, components: SupervisorComponents) {
    this.path = path;
    this.strategy = init.strategy ?? 'one_for_one';
    this.#components = components;
    this.#queue = new SerialQueue((error) =>
      components.logger.error({ supervisor: path, err: describeError(error) }, 'supervisor job failed'),
    );
    this.#initial = init.children ?? [];
    const intensity: IntensityOptions = init.intensity ?? {};
    this.#intensity = new RestartIntensity(components.clock, intensity);
    const backoff: BackoffOptions = init.backoff ?? {};
    this.#backoff = new Backoff(backoff, this.#intensity.periodMs, components.random);
  }

  get state(): string {
    return this.#state;
  }

  /** Starts every initial child in order. A crash while starting stops those started and rejects. */
  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'starting';
    for (const spec of this.#initial) {
      const entry = this.#addEntry(spec);
      try {
        await this.#startEntry(entry);
      } catch (error) {
        this.#entries.delete(spec.id);
        await this.#stopAll();
        this.#state = 'stopped';
        const failure = new StartFailedError(this.path, spec.id, error);
        this.#exit.fire({ kind: 'error', error: failure });
        throw failure;
      }
    }
    this.#state = 'running';
  }

  /** Stops every child (reverse start order; dynamic children in parallel) and exits. */
  stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping')
      return this.#exit.wait().then(() => undefined);
    this.#state = 'stopping';
    for (const entry of this.#entries.values()) this.#cancelTimer(entry);
    return this.#queue.run(async () => {
      await this.#stopAll();
      this.#state = 'stopped';
      this.#exit.fire(SHUTDOWN);
    });
  }

  /** Ends every child at once and exits (the parent's brutal kill). */
  kill(): void {
    this.#state = 'stopped';
    for (const entry of this.#entries.values()) {
      this.#cancelTimer(entry);
      entry.state = 'stopped';
      entry.child?.kill();
      this.#components.system.unregister(entry.path);
    }
    this.#queue.clear();
    this.#exit.fire(SHUTDOWN);
  }

  onExit(listener: (reason: ExitReason) => void): void {
    this.#exit.listen(listener);
  }

  /** Adds and starts a child (any strategy; the usual way for a dynamic supervisor). */
  startChild(spec: ChildSpec): Promise<string> {
    return this.#queue.run(async () => {
      if (this.#state !== 'running') throw new ChildSpecError(this.path, `not running (${this.#state})`);
      const entry = this.#addEntry(spec);
      try {
        await this.#startEntry(entry);
      } catch (error) {
        this.#entries.delete(spec.id);
        this.#components.system.unregister(entry.path);
        throw new StartFailedError(this.path, spec.id, error);
      }
      return spec.id;
    });
  }

  /** Stops a child within its shutdown and forgets it. */
  terminateChild(id: string): Promise<void> {
    return this.#queue.run(async () => {
      const entry = this.#entries.get(id);
      if (entry === undefined) throw new ChildSpecError(this.path, `no child ${id}`);
      this.#cancelTimer(entry);
      await this.#stopEntry(entry, true);
      this.#entries.delete(id);
    });
  }

  whichChildren(): ChildInfo[] {
    return [...this.#entries.values()].map((e) => ({
      id: e.spec.id,
      path: e.path,
      type: e.spec.type ?? 'worker',
      state: e.state,
      restart: e.spec.restart ?? 'permanent',
    }));
  }

  /** Paths of the deepest children that are still stopping (for the log of a forced exit). */
  stuck(): string[] {
    const out: string[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'stopping') continue;
      const inner = entry.child?.stuck?.() ?? [];
      out.push(...(inner.length > 0 ? inner : [entry.path]));
    }
    return out;
  }

  countChildren(): number {
    return this.#entries.size;
  }

  #addEntry(spec: ChildSpec): Entry {
    if (this.#entries.has(spec.id)) throw new ChildSpecError(this.path, `child id ${spec.id} already in use`);
    const entry: Entry = {
      spec,
      path: childPath(this.path, spec.id),
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

  async #startEntry(entry: Entry): Promise<void> {
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
      void this.#queue.run(() => this.#handleExit(entry, instance, reason));
    });
  }

  async #stopEntry(entry: Entry, forget: boolean): Promise<void> {
    const child = entry.child;
    if (child !== undefined && entry.state === 'running') {
      entry.state = 'stopping';
      const outcome = await stopChild(child, entry.spec, this.#components.clock);
      if (outcome === 'killed') {
        this.#components.logger.warn(
          { supervisor: this.path, child: entry.spec.id, shutdown: entry.spec.shutdown },
          'child did not stop within its shutdown timeout; killed',
        );
      }
    }
    entry.child = undefined;
    entry.state = 'stopped';
    if (forget) this.#components.system.unregister(entry.path);
  }

  async #stopAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    if (this.strategy === 'dynamic') {
      await Promise.all(entries.map((e) => this.#stopEntry(e, true)));
    } else {
      for (const entry of entries.reverse()) await this.#stopEntry(entry, true);
    }
  }

  async #handleExit(entry: Entry, instance: number, reason: ExitReason): Promise<void> {
    if (entry.instance !== instance || entry.state !== 'running' || this.#state !== 'running') return;
    entry.child = undefined;
    entry.state = 'stopped';
    const restart = entry.spec.restart ?? 'permanent';
    const abnormal = reason.kind === 'error';
    const log = this.#components.logger;
    if (abnormal)
      log.warn(
        { supervisor: this.path, child: entry.spec.id, err: describeError(reason.error) },
        'child crashed',
      );

    if (restart === 'temporary' || (restart === 'transient' && !abnormal)) {
      this.#forget(entry);
      return;
    }
    if (abnormal && isNonRetryable(reason.error)) {
      if (restart === 'permanent') {
        await this.#fail(new ChildFailedError(this.path, entry.spec.id, reason.error));
      } else {
        this.#forget(entry);
      }
      return;
    }
    await this.#restart(entry, abnormal ? reason.error : undefined);
  }

  #forget(entry: Entry): void {
    this.#components.system.unregister(entry.path);
    if (this.strategy === 'dynamic' || (entry.spec.restart ?? 'permanent') === 'temporary') {
      this.#entries.delete(entry.spec.id);
    }
  }

  async #restart(entry: Entry, cause: Error | undefined): Promise<void> {
    if (!this.#intensity.record()) {
      await this.#fail(
        new RestartIntensityError(
          this.path,
          entry.spec.id,
          this.#intensity.maxRestarts,
          this.#intensity.periodMs,
          cause,
        ),
      );
      return;
    }
    const group = await this.#stopSiblings(entry);
    const now = this.#components.clock.now();
    if (now - entry.startedAt >= this.#backoff.resetAfterMs) entry.consecutive = 0;
    const delay = this.#backoff.delay(entry.consecutive);
    entry.consecutive++;
    for (const e of group) e.state = 'restarting';
    this.#components.metrics?.restarted(entry.path);
    if (delay === 0) {
      await this.#restartGroup(group);
      return;
    }
    entry.timer = this.#components.clock.setTimeout(() => {
      entry.timer = undefined;
      void this.#queue.run(() => this.#restartGroup(group));
    }, delay);
  }

  /** Stops the siblings the strategy restarts together with `entry`; returns the group in start order. */
  async #stopSiblings(entry: Entry): Promise<Entry[]> {
    if (this.strategy === 'one_for_one' || this.strategy === 'dynamic') return [entry];
    const all = [...this.#entries.values()];
    const from = this.strategy === 'one_for_all' ? 0 : all.indexOf(entry);
    const group = all.slice(from);
    for (const sibling of [...group].reverse()) {
      if (sibling === entry) continue;
      this.#cancelTimer(sibling);
      await this.#stopEntry(sibling, false);
    }
    const kept = group.filter((e) => e === entry || (e.spec.restart ?? 'permanent') !== 'temporary');
    for (const dropped of group.filter((e) => !kept.includes(e))) this.#forget(dropped);
    return kept;
  }

  async #restartGroup(group: Entry[]): Promise<void> {
    if (this.#state !== 'running') return;
    for (let i = 0; i < group.length; i++) {
      const entry = group[i]!;
      if (entry.state !== 'restarting' || !this.#entries.has(entry.spec.id)) continue;
      try {
        await this.#startEntry(entry);
      } catch (error) {
        this.#components.logger.warn(
          { supervisor: this.path, child: entry.spec.id, err: describeError(error) },
          'child crashed while restarting',
        );
        for (const rest of group.slice(i)) rest.state = 'restarting';
        if (!this.#intensity.record()) {
          await this.#fail(
            new RestartIntensityError(
              this.path,
              entry.spec.id,
              this.#intensity.maxRestarts,
              this.#intensity.periodMs,
              error,
            ),
          );
          return;
        }
        const delay = this.#backoff.delay(entry.consecutive++);
        const remaining = group.slice(i);
        entry.timer = this.#components.clock.setTimeout(
          () => {
            entry.timer = undefined;
            void this.#queue.run(() => this.#restartGroup(remaining));
          },
          Math.max(delay, 1),
        );
        return;
      }
    }
  }

  async #fail(error: Error): Promise<void> {
    this.#components.logger.error(
      { supervisor: this.path, err: describeError(error) },
      'supervisor giving up',
    );
    this.#state = 'stopping';
    for (const entry of this.#entries.values()) this.#cancelTimer(entry);
    await this.#stopAll();
    this.#state = 'stopped';
    this.#exit.fire({ kind: 'error', error });
  }

  #cancelTimer(entry: Entry): void {
    if (entry.timer !== undefined) {
      this.#components.clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }
}
