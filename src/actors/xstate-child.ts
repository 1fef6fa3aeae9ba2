/**
 * Binds an XState actor to the supervision tree and the mailbox: a {@link ChildSpec} whose
 * start creates the actor as a root actor of its own (not as a `spawnChild` of a parent
 * machine, which slows down quadratically with the number of children), registers it at its
 * path, and turns its errors and completion into exit reasons for its supervisor. An actor
 * with no error observer would crash the process; this one always has one.
 *
 * Every message for the actor passes its binding's `accept` first: what it returns is the
 * machine's own event; a message it turns down never reaches the machine (a malformed one is
 * logged, at most once a minute per type).
 *
 * Graceful stop: an actor bound with a `stop` event it can take now gets that event and is
 * expected to reach a final state (it can clean up first); any other actor is stopped at once.
 */
import {
  createActor,
  type Actor,
  type AnyActorLogic,
  type EventFromLogic,
  type InputFrom,
  type InspectionEvent,
  type Observer,
  type SnapshotFrom,
} from 'xstate';
import { toError } from '../lib/errors.js';
import { RateLimitedLog } from '../lib/log.js';
import {
  ExitSignal,
  NORMAL,
  SHUTDOWN,
  type ChildSpec,
  type RunningChild,
  type StartContext,
} from '../supervisor/child.js';
import type { MailboxMessage } from './message.js';

export interface XStateChildOptions<TLogic extends AnyActorLogic> {
  /** The logic, or a function that provides its effects from the start context. */
  logic: TLogic | ((ctx: StartContext) => TLogic);
  input?: (ctx: StartContext) => InputFrom<TLogic>;
  /**
   * Turns a message from the mailbox into the actor's event, parsing its payload. `undefined`
   * turns it down as malformed (dropped and logged); `null` says it is not for this actor (a
   * topic's other broadcasts: dropped quietly). Neither reaches the actor.
   */
  accept: (message: MailboxMessage) => NoInfer<EventFromLogic<TLogic>> | null | undefined;
  /** The event that asks the actor to stop gracefully (`bzzz.stop`); without it, stop is at once. */
  stop?: NoInfer<EventFromLogic<TLogic>>;
  /** Resolves start only once the snapshot satisfies this (default: at once). */
  ready?: (snapshot: SnapshotFrom<TLogic>) => boolean;
  /** How long `ready` may take before the start counts as a crash (default 30 s). */
  readyTimeoutMs?: number;
  restart?: ChildSpec['restart'];
  shutdown?: ChildSpec['shutdown'];
  /** Receives the actor once started (tests, inspection). */
  onStarted?: (actor: Actor<TLogic>) => void;
}

/** Process-wide inspection hook (`bzzz agent --inspect`), set before the tree starts. */
let inspector: ((event: InspectionEvent) => void) | undefined;

export function setInspector(inspect: ((event: InspectionEvent) => void) | undefined): void {
  inspector = inspect;
}

/** An output of a final state that marks the actor's end as a failure. */
export interface FailureOutput {
  failure: { name: string; message: string; retryable?: boolean };
}

function isFailureOutput(output: unknown): output is FailureOutput {
  return typeof output === 'object' && output !== null && 'failure' in output;
}

export function xstateChild<TLogic extends AnyActorLogic>(
  id: string,
  options: XStateChildOptions<TLogic>,
): ChildSpec {
  return {
    id,
    type: 'worker',
    restart: options.restart ?? 'permanent',
    shutdown: options.shutdown ?? 5_000,
    start: (ctx) => startXStateActor(ctx, options),
  };
}

function startXStateActor<TLogic extends AnyActorLogic>(
  ctx: StartContext,
  options: XStateChildOptions<TLogic>,
): Promise<RunningChild> {
  const logic = typeof options.logic === 'function' ? options.logic(ctx) : options.logic;
  const exit = new ExitSignal();
  let stopRequested = false;
  const actor: Actor<TLogic> = createActor(logic, {
    id: ctx.path,
    clock: ctx.clock,
    ...(options.input ? { input: options.input(ctx) } : {}),
    ...(inspector ? { inspect: inspector } : {}),
  });

  const observer: Observer<SnapshotFrom<TLogic>> = {
    error: (error) => exit.fire({ kind: 'error', error: toError(error) }),
    complete: () => {
      const snapshot = actor.getSnapshot() as { status: string; output?: unknown };
      if (snapshot.status === 'done' && isFailureOutput(snapshot.output)) {
        const { failure } = snapshot.output;
        const error = Object.assign(new Error(failure.message), {
          name: failure.name,
          retryable: failure.retryable ?? true,
        });
        exit.fire({ kind: 'error', error });
      } else {
        exit.fire(stopRequested ? SHUTDOWN : NORMAL);
      }
    },
  };
  actor.subscribe(observer);
  exit.listen(() => ctx.system.suspend(ctx.path));

  const running: RunningChild = {
    stop: async () => {
      if (exit.exited) return;
      stopRequested = true;
      const stop = options.stop;
      if (stop !== undefined && canTake(actor.getSnapshot(), stop)) {
        actor.send(stop);
      } else {
        actor.stop();
      }
      await exit.wait();
    },
    kill: () => {
      stopRequested = true;
      actor.stop();
      exit.fire(SHUTDOWN);
    },
    onExit: (listener) => exit.listen(listener),
  };

  actor.start();
  if (exit.exited) {
    const reason = exit.reason;
    return Promise.reject(
      reason?.kind === 'error' ? reason.error : new Error(`${ctx.path} ended while starting`),
    );
  }
  const dropped = new RateLimitedLog(ctx.logger, ctx.clock, 60_000);
  ctx.system.register(
    ctx.path,
    (message) => {
      const event = options.accept(message);
      if (event !== undefined && event !== null) actor.send(event);
      else if (event === undefined)
        dropped.warn(message.type, { actor: ctx.path, type: message.type }, 'message turned down');
    },
    (reason) => {
      // the crash first: stopping the actor completes it, which would read as a normal end
      exit.fire({ kind: 'error', error: reason });
      actor.stop();
    },
  );
  options.onStarted?.(actor);
  if (options.ready === undefined) return Promise.resolve(running);
  return waitReady(ctx, actor, options, exit, running);
}

/** True when the actor's snapshot would take `event` now (a machine's `can`; other logic: no). */
function canTake(snapshot: unknown, event: { type: string }): boolean {
  const can = (snapshot as { can?: unknown }).can;
  return typeof can === 'function' && (can as (event: { type: string }) => boolean).call(snapshot, event);
}

function waitReady<TLogic extends AnyActorLogic>(
  ctx: StartContext,
  actor: Actor<TLogic>,
  options: XStateChildOptions<TLogic>,
  exit: ExitSignal,
  running: RunningChild,
): Promise<RunningChild> {
  const ready = options.ready!;
  if (ready(actor.getSnapshot())) return Promise.resolve(running);
  return new Promise((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    const timer = ctx.clock.setTimeout(() => {
      subscription.unsubscribe();
      running.kill();
      reject(new Error(`${ctx.path} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = actor.subscribe((snapshot) => {
      if (!ready(snapshot)) return;
      ctx.clock.clearTimeout(timer);
      subscription.unsubscribe();
      resolve(running);
    });
    exit.listen((reason) => {
      ctx.clock.clearTimeout(timer);
      subscription.unsubscribe();
      reject(reason.kind === 'error' ? reason.error : new Error(`${ctx.path} ended before it was ready`));
    });
  });
}
