/**
 * Task names in the KV bucket `bzzz-<cluster>-names` (issue 16), on a real nats-server: node
 * B's index finds node A's records there, and keeps them in its own table; records put straight
 * into the bucket by someone else (signed by B but naming A, A's with a changed value, B's
 * under A's key, garbage) are refused and counted, never trusted, never a crash; B answers from
 * its table what it learned once NATS is gone.
 */
import { sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTaskNames,
  kvKeyOf,
  type TaskNameQuery,
  type TaskNames,
} from '../../src/adapters/names/index.js';
import { createNatsConnector, type NatsConnector } from '../../src/adapters/nats/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import {
  canonicalBytes,
  encodeNameRecord,
  generateIdentity,
  NAME_RECORD_DOMAIN,
  type Identity,
  type NameRecord,
} from '../../src/protocol/index.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';

const HASH = (n: number) => n.toString(16).padStart(64, '0');
const KEY = 'local:demo/calc#1';
const query = (path: TaskNameQuery['path']): TaskNameQuery => ({
  agent: '*',
  role: '*',
  owner: 'demo',
  repo: 'calc',
  number: 1,
  path,
});

let nats: NatsServerHandle;
const stops: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await nats.stop();
});

interface Node {
  identity: Identity;
  names: TaskNames;
  connector: NatsConnector;
  rejected: string[];
}

async function node(name: string, roles: string[]): Promise<Node> {
  const identity = generateIdentity();
  const logger = silentLogger();
  const connector = createNatsConnector({ servers: nats.url }, { clock: systemClock, logger });
  const connection = await connector.open();
  stops.push(() => connection.stop());
  await connector.connection(AbortSignal.timeout(20_000));
  const rejected: string[] = [];
  const names = createTaskNames(
    { dataDir: mkdtempSync(join(tmpdir(), `bzzz-names-${name}-`)), cluster: 'kvtest', nodeName: name, roles },
    {
      identity,
      clock: systemClock,
      logger,
      connector,
      metrics: { rejected: (s, r) => rejected.push(`${s}:${r}`) },
    },
  );
  const table = await names.open();
  stops.push(() => table.stop());
  return { identity, names, connector, rejected };
}

/** A record for `node`'s name signed by `signer`: what a forger writes. */
function forged(node: string, path: string, value: string, seq: number, signer: Identity): NameRecord {
  const unsigned = { v: 1 as const, node, path, value, seq };
  const bytes = Buffer.concat([Buffer.from(NAME_RECORD_DOMAIN, 'utf8'), canonicalBytes(unsigned)]);
  return { ...unsigned, sig: sign(null, bytes, signer.privateKey).toString('base64') };
}

describe('task names in the NATS KV bucket', () => {
  it(
    'are found by another node, and forged entries are refused and counted',
    { timeout: 120_000 },
    async () => {
      const a = await node('alpha', ['shell']);
      const b = await node('beta', ['go']);
      const published = await a.names.publisher.publish({ key: KEY, agent: 'alpha-1' }, [
        { path: 'log', hash: HASH(1), size: 10 },
        { path: 'diff', hash: HASH(2), size: 20 },
        { path: 'pr', url: 'https://forge.example/demo/calc/pull/7' },
      ]);
      expect(published.failed).toEqual([]);

      const [log] = await b.names.index.lookup(query('log'));
      expect(log).toMatchObject({
        node: a.identity.nodeId,
        nodeName: 'alpha',
        agent: 'alpha-1',
        roles: ['shell'],
        task: KEY,
        path: 'log',
        value: HASH(1),
        size: 10,
      });
      expect(await b.names.index.lookup({ ...query('pr'), agent: 'alpha', role: 'shell' })).toMatchObject([
        { value: 'https://forge.example/demo/calc/pull/7' },
      ]);
      expect(await b.names.index.lookup({ ...query('log'), role: 'go' })).toEqual([]);
      // B's own record of the same task comes first: it is newer
      await b.names.publisher.publish({ key: KEY, agent: 'beta' }, [
        { path: 'log', hash: HASH(3), size: 30 },
      ]);
      const both = await a.names.index.lookup(query('log'));
      expect(both.map((m) => m.nodeName)).toEqual(['beta', 'alpha']);
      expect(b.rejected).toEqual([]);

      // forgeries written straight into the bucket by someone with NATS access
      const nc = await connect({ servers: nats.url });
      stops.push(() => nc.close());
      const kv = await new Kvm(jetstream(nc)).open('bzzz-kvtest-names');
      const genuine = published.records.find((r) => r.path.endsWith('/log'))!;
      const diffRecord = published.records.find((r) => r.path.endsWith('/diff'))!;
      // 1. signed by B, naming A, under A's key: a newer `seq`, so it would win if trusted
      const byB = forged(
        a.identity.nodeId,
        genuine.path,
        genuine.value.replace(HASH(1), HASH(66)),
        genuine.seq + 1,
        b.identity,
      );
      await kv.put(kvKeyOf(genuine), encodeNameRecord(byB));
      // 2. A's diff record with its value changed
      const tampered = { ...diffRecord, value: diffRecord.value.replace(HASH(2), HASH(99)) };
      await kv.put(kvKeyOf(diffRecord), Buffer.from(JSON.stringify(tampered)));
      // 3. B's own valid record put under A's key for the pr
      const beta = b.names.table
        .records('demo~calc:1', 'log')
        .map((w) => JSON.parse(Buffer.from(w).toString()) as NameRecord);
      const bRecord = beta.find((r) => r.node === b.identity.nodeId)!;
      await kv.put(`${a.identity.nodeId}.demo_7Ecalc_3A1.pr`, encodeNameRecord(bRecord));
      // 4. garbage under a key of its own
      await kv.put(`${generateIdentity().nodeId}.demo_7Ecalc_3A1.log`, Buffer.from('{"v":1,"node":'));

      const c = await node('gamma', []);
      const logs = await c.names.index.lookup(query('log'));
      // only B's own record is left in the bucket for log (A's was overwritten by the forgery)
      expect(logs.map((m) => [m.nodeName, m.value])).toEqual([['beta', HASH(3)]]);
      expect(await c.names.index.lookup(query('diff'))).toEqual([]);
      expect(await c.names.index.lookup(query('pr'))).toEqual([]);
      expect(c.rejected.sort()).toEqual(
        ['kv:bad_signature', 'kv:bad_signature', 'kv:malformed', 'kv:wrong_key'].sort(),
      );

      // B learned A's genuine records before: its table still answers them, whatever the bucket says
      const atB = await b.names.index.lookup(query('log'));
      expect(atB.map((m) => [m.nodeName, m.value])).toEqual([
        ['beta', HASH(3)],
        ['alpha', HASH(1)],
      ]);
      expect(b.rejected).toContain('kv:bad_signature');

      // with NATS gone, B still answers from its table
      await nats.kill();
      const offline = await b.names.index.lookup(query('log'));
      expect(offline.map((m) => m.value)).toEqual([HASH(3), HASH(1)]);
      await nats.restart();
    },
  );
});
