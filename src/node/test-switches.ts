/**
 * Switches FOR TESTS ONLY. They weaken or slow what a guarantee rests on, so that a chaos
 * test can prove its checker notices the violation that follows; they are read from the
 * environment alone (never from the configuration file, never listed by `bzzz config`), and
 * a node started with one logs a warning naming it.
 *
 * - `BZZZ_TEST_FORGE_CHECK_TOKENS=false`: the local forge stops refusing stale tokens.
 * - `BZZZ_TEST_FORGE_LATENCY_MS=N`: each local forge effect waits N ms between the agent's
 *   own lease check and the forge, as the way to a remote forge would.
 */
import type { LocalForgeInit } from '../adapters/forge/index.js';
import type { Logger } from '../lib/log.js';

export function forgeTestSwitches(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Pick<LocalForgeInit, 'checkTokens' | 'latencyMs'> {
  const out: Pick<LocalForgeInit, 'checkTokens' | 'latencyMs'> = {};
  const check = env.BZZZ_TEST_FORGE_CHECK_TOKENS;
  if (check !== undefined && ['0', 'false', 'no', 'off'].includes(check.trim().toLowerCase())) {
    out.checkTokens = false;
    logger.warn('BZZZ_TEST_FORGE_CHECK_TOKENS=false: the local forge accepts stale tokens (for tests only)');
  }
  const latency = Number(env.BZZZ_TEST_FORGE_LATENCY_MS ?? '0');
  if (Number.isInteger(latency) && latency > 0 && latency <= 60_000) {
    out.latencyMs = latency;
    logger.warn(
      { latencyMs: latency },
      'BZZZ_TEST_FORGE_LATENCY_MS: local forge effects are delayed (for tests only)',
    );
  }
  return out;
}
