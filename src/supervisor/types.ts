/** Options and injected parts of a supervisor. */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ActorSystem } from '../actors/system.js';
import type { ChildSpec, ChildType } from './child.js';
import type { BackoffOptions, IntensityOptions } from './restart-policy.js';

/**
 * `one_for_one`: restart the crashed child. `one_for_all`: stop the others and restart all.
 * `rest_for_one`: restart the crashed child and those started after it. `dynamic`: children
 * are added at run time with `startChild`, each restarted on its own (OTP simple_one_for_one).
 */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'dynamic';

export interface SupervisorInit {
  strategy?: Strategy;
  /** Started in order at start; a dynamic supervisor usually has none. */
  children?: ChildSpec[];
  intensity?: IntensityOptions;
  backoff?: BackoffOptions;
}

/** Counters the node exports as Prometheus metrics. */
export interface SupervisorMetrics {
  restarted(path: string): void;
  started(type: ChildType): void;
  stopped(type: ChildType): void;
}

export interface SupervisorComponents {
  system: ActorSystem;
  clock: Clock;
  logger: Logger;
  metrics?: SupervisorMetrics;
  /** Source of jitter (tests make it deterministic). */
  random?: () => number;
}
