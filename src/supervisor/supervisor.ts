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
import { ExitSignal, SHUTDOWN, type ChildSpec, type ExitReason } from './child.js';
import { Children, type ChildInfo, type Entry } from './children.js';
import { ChildFailedError, ChildSpecError, RestartIntensityError, StartFailedError } from './errors.js';
import { Backoff, RestartIntensity, type BackoffOptions, type IntensityOptions } from './restart-policy.js';
import type { SupervisorComponents, SupervisorInit, Strategy } from './types.js';
import { SerialQueue } from './serial-queue.js';

export type { ChildInfo } from './children.js';

export class Supervisor {
  readonly path: string;
  readonly strategy: Strategy;
  readonly #components: SupervisorComponents;
  readonly #children: Children;
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
    this.#children = new Children(path, this.strategy, components, (entry, instance, reason) => {
      void this.#queue.run(() => this.#handleExit(entry, instance, reason));
    });
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
      const entry = this.#children.add(spec);
      try {
        await this.#children.start(entry);
      } catch (error) {
        this.#children.delete(spec.id);
        await this.#children.stopAll();
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
    for (const entry of this.#children.all()) this.#children.cancelTimer(entry);
    return this.#queue.run(async () => {
      await this.#children.stopAll();
      this.#state = 'stopped';
      this.#exit.fire(SHUTDOWN);
    });
  }

  /** Ends every child at once and exits (the parent's brutal kill). */
  kill(): void {
    this.#state = 'stopped';
    for (const entry of this.#children.all()) {
      this.#children.cancelTimer(entry);
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
      const entry = this.#children.add(spec);
      try {
        await this.#children.start(entry);
      } catch (error) {
        this.#children.delete(spec.id);
        this.#components.system.unregister(entry.path);
        throw new StartFailedError(this.path, spec.id, error);
      }
      return spec.id;
    });
  }

  /** Stops a child within its shutdown and forgets it. */
  terminateChild(id: string): Promise<void> {
    return this.#queue.run(async () => {
      const entry = this.#children.get(id);
      if (entry === undefined) throw new ChildSpecError(this.path, `no child ${id}`);
      this.#children.cancelTimer(entry);
      await this.#children.stop(entry, true);
      this.#children.delete(id);
    });
  }

  whichChildren(): ChildInfo[] {
    return this.#children.info();
  }

  /** Paths of the deepest children that are still stopping (for the log of a forced exit). */
  stuck(): string[] {
    return this.#children.stuck();
  }

  countChildren(): number {
    return this.#children.size;
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
      this.#children.forget(entry);
      return;
    }
    if (abnormal && isNonRetryable(reason.error)) {
      if (restart === 'permanent') {
        await this.#fail(new ChildFailedError(this.path, entry.spec.id, reason.error));
      } else {
        this.#children.forget(entry);
      }
      return;
    }
    await this.#restart(entry, abnormal ? reason.error : undefined);
  }

  async #restart(entry: Entry, cause: Error | undefined): Promise<void> {
    if (!this.#intensity.record()) {
      await this.#fail(this.#tooManyRestarts(entry, cause));
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
    const all = this.#children.all();
    const from = this.strategy === 'one_for_all' ? 0 : all.indexOf(entry);
    const group = all.slice(from);
    for (const sibling of [...group].reverse()) {
      if (sibling === entry) continue;
      this.#children.cancelTimer(sibling);
      await this.#children.stop(sibling, false);
    }
    const kept = group.filter((e) => e === entry || (e.spec.restart ?? 'permanent') !== 'temporary');
    for (const dropped of group.filter((e) => !kept.includes(e))) this.#children.forget(dropped);
    return kept;
  }

  async #restartGroup(group: Entry[]): Promise<void> {
    if (this.#state !== 'running') return;
    for (let i = 0; i < group.length; i++) {
      const entry = group[i]!;
      if (entry.state !== 'restarting' || !this.#children.has(entry.spec.id)) continue;
      try {
        await this.#children.start(entry);
      } catch (error) {
        this.#components.logger.warn(
          { supervisor: this.path, child: entry.spec.id, err: describeError(error) },
          'child crashed while restarting',
        );
        for (const rest of group.slice(i)) rest.state = 'restarting';
        if (!this.#intensity.record()) {
          await this.#fail(this.#tooManyRestarts(entry, error));
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

  #tooManyRestarts(entry: Entry, cause: unknown): RestartIntensityError {
    const { maxRestarts, periodMs } = this.#intensity;
    return new RestartIntensityError(this.path, entry.spec.id, maxRestarts, periodMs, cause);
  }

  async #fail(error: Error): Promise<void> {
    this.#components.logger.error(
      { supervisor: this.path, err: describeError(error) },
      'supervisor giving up',
    );
    this.#state = 'stopping';
    for (const entry of this.#children.all()) this.#children.cancelTimer(entry);
    await this.#children.stopAll();
    this.#state = 'stopped';
    this.#exit.fire({ kind: 'error', error });
  }
}
