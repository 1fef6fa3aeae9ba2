/**
 * Stopping one child by its shutdown rule: `brutal_kill` ends it at once; a number of
 * milliseconds asks it to stop and kills it when the time runs out; `infinity` waits.
 */
import type { Clock } from '../lib/clock.js';
import type { ChildSpec, RunningChild } from './child.js';

export type StopOutcome = 'stopped' | 'killed';

export async function stopChild(child: RunningChild, spec: ChildSpec, clock: Clock): Promise<StopOutcome> {
  const shutdown = spec.shutdown ?? ((spec.type ?? 'worker') === 'supervisor' ? 'infinity' : 5_000);
  if (shutdown === 'brutal_kill') {
    child.kill();
    return 'killed';
  }
  const graceful = child.stop().then(
    () => 'stopped' as const,
    () => 'stopped' as const,
  );
  if (shutdown === 'infinity') return graceful;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), shutdown);
  });
  const outcome = await Promise.race([graceful, timeout]);
  if (timer !== undefined) clock.clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill();
    return 'killed';
  }
  return 'stopped';
}
