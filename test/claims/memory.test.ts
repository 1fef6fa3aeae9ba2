// The memory claim store against the claim compliance suite, on a simulated clock.
import { claimStoreCompliance } from '../compliance/claims.js';
import { createClaimStore } from '../../src/adapters/claims/index.js';
import { SimulatedClock, silentLogger, systemClock } from '../../src/lib/index.js';

claimStoreCompliance('memory', async () => {
  const clock = new SimulatedClock();
  const store = createClaimStore({ backend: 'memory' }, { clock, logger: silentLogger() });
  await store.start();
  return {
    store,
    clock,
    advance: (ms) => clock.advance(ms),
    ttlMs: 10_000,
    propertyRuns: 200,
    close: () => store.stop(),
  };
});

// The same suite on real time, as the JetStream store will run it: proves the suite itself
// holds up when `advance` sleeps and the clock moves on its own between calls.
claimStoreCompliance('memory on the system clock', async () => {
  const store = createClaimStore({ backend: 'memory' }, { clock: systemClock, logger: silentLogger() });
  await store.start();
  return {
    store,
    clock: systemClock,
    advance: (ms) => systemClock.sleep(ms),
    ttlMs: 200,
    propertyRuns: 4,
    close: () => store.stop(),
  };
});
