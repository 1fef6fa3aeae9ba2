/**
 * A started node (or a tree of services: `bzzz proxy`) in the foreground: SIGTERM, SIGINT and
 * SIGQUIT, a failed root and a critical health check all lead to its shutdown, through one
 * {@link ShutdownController}.
 */
import type { Config } from '../config/index.js';
import { systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { MainJob } from '../node/main-job.js';
import { ShutdownController, type Stoppable } from '../node/shutdown.js';
import type { ExitReason } from '../supervisor/child.js';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

export interface Foreground {
  readonly shutdown: ShutdownController;
  /** Removes the signal handlers (once the job has stopped). */
  readonly release: () => void;
}

/** A tree stopped by the signals, ended by its root's failure. */
export function foregroundTree(
  root: Stoppable & { onExit(listener: (reason: ExitReason) => void): void },
  config: Config,
  logger: Logger,
): Foreground {
  const shutdown = new ShutdownController(root, {
    clock: systemClock,
    logger,
    timeoutMs: config.shutdown_timeout_ms,
  });
  const onSignal = (signal: NodeJS.Signals): void => shutdown.signal(signal);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  root.onExit((reason) => {
    if (reason.kind === 'error') shutdown.failed(reason.error);
  });
  return {
    shutdown,
    release: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}

export function foreground(job: MainJob, config: Config, logger: Logger): Foreground {
  const running = foregroundTree(
    { stop: () => job.stop(), stuck: () => job.stuck(), onExit: (listener) => job.node.onExit(listener) },
    config,
    logger,
  );
  job.node.onShutdownRequest((why) => running.shutdown.request(why, 1));
  return running;
}
