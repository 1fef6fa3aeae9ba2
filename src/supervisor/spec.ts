/** The child spec of a nested supervisor. */
import type { ChildSpec, RestartType, Shutdown } from './child.js';
import { Supervisor } from './supervisor.js';
import type { SupervisorInit, SupervisorMetrics } from './types.js';

export interface SupervisorSpecOptions {
  restart?: RestartType;
  shutdown?: Shutdown;
  metrics?: SupervisorMetrics;
  random?: () => number;
  /** Receives the supervisor once started (to add dynamic children). */
  onStarted?: (supervisor: Supervisor) => void;
}

/** A nested supervisor as a child of another. */
export function supervisorSpec(
  id: string,
  init: SupervisorInit,
  options: SupervisorSpecOptions = {},
): ChildSpec {
  return {
    id,
    type: 'supervisor',
    restart: options.restart ?? 'permanent',
    shutdown: options.shutdown ?? 'infinity',
    start: async (ctx) => {
      const supervisor = new Supervisor(ctx.path, init, {
        system: ctx.system,
        clock: ctx.clock,
        logger: ctx.logger,
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(options.random ? { random: options.random } : {}),
      });
      await supervisor.start();
      options.onStarted?.(supervisor);
      return {
        stop: () => supervisor.stop(),
        kill: () => supervisor.kill(),
        onExit: (listener) => supervisor.onExit(listener),
        stuck: () => supervisor.stuck(),
      };
    },
  };
}
