/**
 * A process that appends to the audit log of a data dir (its first argument) without end, in
 * batches of varying size, and prints `acked <seq>` once each batch is committed; the kill -9
 * test SIGKILLs it at varied moments. Run with `node --import tsx`.
 */
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';
import { appendMany, openLog } from './support.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: append-child.ts DATA_DIR');
const identity = await loadOrCreateIdentity(dataDir);
const { log } = await openLog(dataDir, identity);
if (log.health().status !== 'ok') throw new Error(`log unavailable: ${log.health().detail ?? ''}`);
process.stdout.write('ready\n');
for (let round = 0; ; round++) {
  await appendMany(log, 1 + (round % 9), round * 10);
  process.stdout.write(`acked ${log.head()!.seq}\n`);
}
