/**
 * A process for the claims benchmarks (run with `node --import tsx`), so that kill -9 hits a
 * real process: `holder URL CLUSTER KEY TTL` claims KEY and keeps it with the lease keeper;
 * `elector URL CLUSTER NODE` takes part in the election with the default timings, publishes
 * its heartbeats on `bzzz.<cluster>.coordination` and follows the others' heartbeats there.
 * Prints `ready` (and `held <token>` for a holder) on stdout.
 */
import { connect } from '@nats-io/transport-node';
import { startLeaseKeeper } from '../src/actors/lease.js';
import { createElector, type ElectionHeartbeat } from '../src/actors/election.js';
import { JetStreamClaimStore } from '../src/adapters/claims/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';

const [role, url, cluster, name, ttl] = process.argv.slice(2) as [string, string, string, string, string?];
const store = new JetStreamClaimStore(
  { cluster, servers: url },
  { clock: systemClock, logger: silentLogger() },
);
await store.start();

if (role === 'holder') {
  const ttlMs = Number(ttl);
  let lease = await store.claim(name, `holder-${process.pid}`, ttlMs);
  while (lease === null) {
    await systemClock.sleep(50);
    lease = await store.claim(name, `holder-${process.pid}`, ttlMs);
  }
  startLeaseKeeper({ store, lease, clock: systemClock, skewMs: store.maxClockSkewMs });
  process.stdout.write(`ready\nheld ${lease.token}\n`);
} else {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  const subject = `bzzz.${cluster}.coordination`;
  const encoder = new TextEncoder();
  const elector = createElector({
    store,
    node: name,
    clock: systemClock,
    skewMs: store.maxClockSkewMs,
    publish: (hb) => nc.publish(subject, encoder.encode(JSON.stringify(hb))),
  });
  nc.subscribe(subject, {
    callback: (_error, msg) => {
      const hb = msg.json<ElectionHeartbeat>();
      if (hb.node !== name) elector.heartbeat(hb);
    },
  });
  await nc.flush();
  elector.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void elector.stop().then(() => process.exit(0));
  });
}
