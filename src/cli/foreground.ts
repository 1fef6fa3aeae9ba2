/**
 * A started node in the foreground: SIGTERM, SIGINT and SIGQUIT, a failed root and a critical
 * health check all lead to its shutdown, through one {@link ShutdownController}.
 */
import type { Config } from '../config/index.js';
import { systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { MainJob } from '../node/main-job.js';
import { ShutdownController } from '../node/shutdown.js';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

export interface Foreground {
  readonly shutdown: ShutdownController;
  /** Removes the signal handlers (once the job has stopped). */
  readonly release: () => void;
}

export function foreground(job: MainJob, config: Config, logger: Logger): Foreground {
  const shutdown = new ShutdownController(job, {
    clock: systemClock,
    logger,
    timeoutMs: config.shutdown_timeout_ms,
  });
  const onSignal = (signal: NodeJS.Signals): void => shutdown.signal(signal);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  job.node.onExit((reason) => {
    if (reason.kind === 'error') shutdown.failed(reason.error);
  });
  job.node.onShutdownRequest((why) => shutdown.request(why, 1));
  return {
    shutdown,
    release: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
