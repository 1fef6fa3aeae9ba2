/**
 * Child specifications and the handle of a running child, as in Erlang/OTP: how to start a
 * child, when to restart it, how long it may take to stop, and whether it is a worker or a
 * supervisor. Whatever a child is (an XState actor, a server, a nested supervisor), its
 * supervisor sees it only through {@link RunningChild}.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ActorSystem } from '../actors/system.js';

/** permanent: always restarted; transient: restarted only after an abnormal exit; temporary: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** Milliseconds to wait for a graceful stop before killing, or kill at once, or wait forever. */
export type Shutdown = number | 'brutal_kill' | 'infinity';

export type ChildType = 'worker' | 'supervisor';

/** Why a child exited. `shutdown` is an exit its supervisor asked for. */
export type ExitReason =
  | { readonly kind: 'normal' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'error'; readonly error: Error };

export const NORMAL: ExitReason = Object.freeze({ kind: 'normal' });
export const SHUTDOWN: ExitReason = Object.freeze({ kind: 'shutdown' });

/** What a child's `start` receives: where it lives and what it may use. */
export interface StartContext {
  /** The child's actor path (`root/work/tasks/...`). */
  readonly path: string;
  readonly system: ActorSystem;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A child that has started and is ready to accept messages. */
export interface RunningChild {
  /** Asks the child to stop and resolves once it has exited. */
  stop(): Promise<void>;
  /** Ends the child at once (OTP's `kill`). Its exit follows synchronously or soon after. */
  kill(): void;
  /** Registers the listener called exactly once when the child exits, for whatever reason. */
  onExit(listener: (reason: ExitReason) => void): void;
  /** For a nested supervisor: paths of descendants that are still stopping. */
  stuck?(): string[];
}

export interface ChildSpec {
  /** Unique among its siblings; also the last segment of the child's actor path. */
  readonly id: string;
  /** Starts the child; resolves when it is ready. A rejection is a crash during start. */
  readonly start: (ctx: StartContext) => Promise<RunningChild> | RunningChild;
  readonly restart?: RestartType;
  readonly shutdown?: Shutdown;
  readonly type?: ChildType;
}

/** Calls each exit listener exactly once, even if the exit is signalled several times. */
export class ExitSignal {
  #listeners: ((reason: ExitReason) => void)[] = [];
  #reason: ExitReason | undefined;

  get exited(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): ExitReason | undefined {
    return this.#reason;
  }

  listen(listener: (reason: ExitReason) => void): void {
    if (this.#reason !== undefined) listener(this.#reason);
    else this.#listeners.push(listener);
  }

  fire(reason: ExitReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener(reason);
  }

  /** Resolves when the exit has happened. */
  wait(): Promise<ExitReason> {
    return new Promise((resolve) => this.listen(resolve));
  }
}
