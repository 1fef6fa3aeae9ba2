/**
 * Issue 16's key test: a task's `log`, `diff` and `thread` resolve from another node after the node that
 * worked on it is killed with SIGKILL. Three `bzzz agent` processes on one nats-server share a
 * local forge; one of them does a scripted task, records it (blobs pinned, names in the KV
 * bucket), and the CAS replicator copies the blobs to the others. Once the copies are there
 * the worker is killed -9; a survivor's index (its own name table and the KV bucket) still
 * names the task's log, diff and thread (the head of its HMMM thread: a scripted task records
 * its plan there), and the survivor's store holds all three, verified.
 */
import { join } from 'node:path';
import { decodeThreadNode } from '../../src/protocol/thread-node.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import {
  KvTaskNames,
  nameTablePath,
  SqliteNameTable,
  TaskNameLookup,
  type TaskNameQuery,
} from '../../src/adapters/names/index.js';
import { createNatsConnector } from '../../src/adapters/nats/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { transcriptSchema } from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess } from '../cluster/agents.js';

const DEADLINE_MS = 120_000;
const CLUSTER = 'survive';
let nats: NatsServerHandle;
const agents: AgentProcess[] = [];
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await Promise.all(agents.map((a) => a.kill()));
  await nats.stop();
});

const query = (path: TaskNameQuery['path']): TaskNameQuery => ({
  agent: '*',
  role: '*',
  owner: 'demo',
  repo: 'calc',
  number: 1,
  path,
});

async function openStore(agent: AgentProcess): Promise<ContentStore> {
  const store = createContentStore(
    { dataDir: agent.dataDir },
    { logger: silentLogger(), clock: systemClock },
  );
  await store.start();
  stops.push(() => store.stop());
  return store;
}

/** An index as the survivor's node has it: its name table, and the KV bucket. */
async function survivorIndex(agent: AgentProcess) {
  const logger = silentLogger();
  const connector = createNatsConnector({ servers: nats.url }, { clock: systemClock, logger });
  const connection = await connector.open();
  stops.push(() => connection.stop());
  await connector.connection(AbortSignal.timeout(DEADLINE_MS));
  const table = new SqliteNameTable({ path: nameTablePath(agent.dataDir) });
  await table.start();
  stops.push(() => table.stop());
  const kv = new KvTaskNames({ cluster: CLUSTER }, { connector });
  return new TaskNameLookup({}, { table, networks: () => [kv], clock: systemClock, logger });
}

describe('a task recorded on a NATS cluster', () => {
  it(
    'resolves its log, diff and thread on a survivor after its node is killed -9',
    { timeout: 400_000 },
    async () => {
      const dir = clusterDir('bzzz-artifacts-kill-');
      const forgeDir = join(dir, 'forge');
      const forge = new LocalForge({ dir: forgeDir }, { logger: silentLogger(), clock: systemClock });
      const key = await forge.addTask({
        title: 'Leave a note',
        repo: 'demo/calc',
        body: '```bzzz-steps\nprintf "survives\\n" > NOTE.txt\ncat NOTE.txt\n```\n',
      });
      const env = {
        BZZZ_NATS_URL: nats.url,
        BZZZ_CLUSTER: CLUSTER,
        BZZZ_FORGE_DIR: forgeDir,
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_CAS_REANNOUNCE_MS: '1000',
        BZZZ_POLL_INTERVAL_MS: '300',
      };
      for (const name of ['k1', 'k2', 'k3']) agents.push(startAgent(name, dir, env));
      const explain = () =>
        agents
          .map((a) => `${a.name}: ${JSON.stringify(a.logs().slice(-4))}`)
          .join(' | ')
          .slice(0, 4000);
      await eventually(
        () => (agents.every((a) => a.url() !== undefined && a.nodeId() !== undefined) ? true : undefined),
        DEADLINE_MS,
        'three agents started',
        explain,
      );
      const record = await eventually(
        async () => (await forge.taskRecords('demo/calc')).find((r) => r.key === key && r.state === 'done'),
        DEADLINE_MS,
        'the task done',
        explain,
      );
      const worker = agents.find((a) => a.name === record.holder)!;
      const survivors = agents.filter((a) => a !== worker);
      expect(worker).toBeDefined();

      // the worker named its log and diff in the KV bucket
      const index = await survivorIndex(survivors[0]!);
      const named = async (path: 'log' | 'diff' | 'thread') =>
        eventually(async () => (await index.lookup(query(path)))[0], DEADLINE_MS, `${path} named`, explain);
      const log = await named('log');
      const diff = await named('diff');
      const thread = await named('thread');
      expect(log).toMatchObject({
        node: worker.nodeId(),
        nodeName: worker.name,
        agent: worker.name,
        task: key,
      });

      // the replicator copies both to the survivors before the kill
      const stores = await Promise.all(survivors.map(openStore));
      for (const [i, store] of stores.entries())
        await eventually(
          async () =>
            (await store.has(log.value)) && (await store.has(diff.value)) && (await store.has(thread.value))
              ? true
              : undefined,
          DEADLINE_MS,
          `${survivors[i]!.name} holds the log, the diff and the thread head`,
          explain,
        );

      await worker.kill();
      expect(worker.running()).toBe(false);
      for (const [i, survivor] of survivors.entries()) {
        const atSurvivor = await survivorIndex(survivor);
        const [foundLog] = await atSurvivor.lookup(query('log'));
        const [foundDiff] = await atSurvivor.lookup(query('diff'));
        expect(foundLog?.value, survivor.name).toBe(log.value);
        expect(foundDiff?.value, survivor.name).toBe(diff.value);
        const [foundThread] = await atSurvivor.lookup(query('thread'));
        expect(foundThread?.value, survivor.name).toBe(thread.value);
        const head = decodeThreadNode(await stores[i]!.get(thread.value));
        expect(head).toMatchObject({ task: key });
        expect(['plan_proposal', 'plan_outcome']).toContain(head.kind);
        const transcript = transcriptSchema.parse(
          JSON.parse(Buffer.from(await stores[i]!.get(log.value)).toString()),
        );
        expect(transcript).toMatchObject({ task: key, agent: worker.name, outcome: 'done' });
        expect(transcript.steps.map((s) => (s.kind === 'command' ? s.command : ''))).toContain(
          'cat NOTE.txt',
        );
        const patch = Buffer.from(await stores[i]!.get(diff.value)).toString();
        expect(patch).toContain('+survives');
      }
      // what the survivor's index found on the network is in its own table now
      const table = new SqliteNameTable({ path: nameTablePath(survivors[1]!.dataDir) });
      await table.start();
      stops.push(() => table.stop());
      expect(table.records('demo~calc:1', 'log')).toHaveLength(1);
    },
  );
});
