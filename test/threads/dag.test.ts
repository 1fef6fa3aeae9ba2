/**
 * A task's HMMM thread as a DAG of blobs: nodes written and read back oldest first, concurrent
 * heads on two nodes merged by the next node, and a thread whose parents are missing, corrupt
 * or of another task read as far as it can be, saying what it could not read.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/lib/clock.js';
import {
  checkThreadNode,
  decodeThreadNode,
  encodeThreadNode,
  ThreadNodeError,
  type ThreadNode,
} from '../../src/protocol/thread-node.js';
import { NODES, threadCluster, type ThreadCluster } from './support.js';

const TASK = 'local:demo/app#4';
const OTHER = 'local:demo/app#5';
const ULID = '01J0000000000000000000000A';
const alice = { agent: 'alice', node: NODES[0] };
const bob = { agent: 'bob-advisor', node: NODES[1] };

let cluster: ThreadCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function nodes(count: number, link = true) {
  const clock = new SimulatedClock();
  cluster = await threadCluster(count, clock, link);
  return { clock, nodes: cluster.nodes };
}

describe('a task thread', () => {
  it('reads back what was appended, oldest first, each node after its parent', async () => {
    const {
      clock,
      nodes: [a],
    } = await nodes(1);
    const threads = a!.threads;
    expect(threads.head(TASK)).toBeUndefined();
    const p = await threads.append(TASK, 'plan_proposal', { plan: '1. npm test', proposal: ULID }, alice);
    await clock.advance(10);
    const q = await threads.append(TASK, 'help_request', { question: 'Which Node?', request: ULID }, alice);
    await clock.advance(10);
    const e = await threads.append(TASK, 'escalation', { reason: 'no answer' }, alice);
    expect(threads.head(TASK)).toBe(e);
    expect(threads.heads(TASK)).toEqual([e]);
    // pinned, so the replicator keeps copies elsewhere
    expect((await a!.store.stat(p))?.pinned).toBe(true);

    const history = await threads.history(e);
    expect(history.nodes.map((n) => n.hash)).toEqual([p, q, e]);
    expect(history.nodes.map((n) => n.node.parents)).toEqual([[], [p], [q]]);
    expect(history.nodes[1]?.node).toMatchObject({
      v: 1,
      task: TASK,
      kind: 'help_request',
      from: alice,
      body: { question: 'Which Node?', request: ULID },
    });
    expect(history).toMatchObject({ head: e, missing: [], corrupt: [], truncated: false });

    // the newest nodes when the walk is capped
    const capped = await threads.history(e, { limit: 2 });
    expect(capped.nodes.map((n) => n.hash)).toEqual([q, e]);
    expect(capped.truncated).toBe(true);
  });

  it('merges concurrent heads of two nodes: the next node names both', async () => {
    const {
      clock,
      nodes: [a, b],
    } = await nodes(2);
    const request = await a!.threads.append(TASK, 'help_request', { question: 'why?', request: ULID }, alice);
    // bob answers after the request it was sent, while alice writes on concurrently
    await b!.threads.adopt(TASK, request);
    await clock.advance(5);
    const answer = await b!.threads.append(TASK, 'help_response', { answer: 'because', request: ULID }, bob);
    await clock.advance(5);
    const escalation = await a!.threads.append(TASK, 'escalation', { reason: 'impatient' }, alice);
    expect(b!.fetched).toEqual([request]);

    // alice hears of bob's answer: two heads, and her next node merges them
    await a!.threads.adopt(TASK, answer);
    expect([...a!.threads.heads(TASK)].sort()).toEqual([answer, escalation].sort());
    expect(a!.threads.head(TASK)).toBe(answer);
    await clock.advance(5);
    const outcome = await a!.threads.append(TASK, 'plan_outcome', { outcome: 'alone', reviews: [] }, alice);
    expect(a!.threads.heads(TASK)).toEqual([outcome]);

    const history = await a!.threads.history(outcome);
    expect(history.nodes.map((n) => n.hash)).toEqual([request, answer, escalation, outcome]);
    expect(history.nodes.at(-1)?.node.parents).toEqual([answer, escalation].sort());
    expect(history.missing).toEqual([]);

    // adopting a node already in the thread changes nothing
    await a!.threads.adopt(TASK, request);
    expect(a!.threads.heads(TASK)).toEqual([outcome]);
  });

  it('reads as far as it can past a parent not held here, and says which', async () => {
    const {
      nodes: [a, b],
    } = await nodes(2, false);
    const request = await a!.threads.append(TASK, 'help_request', { question: 'why?', request: ULID }, alice);
    // bob's node has no copy and no replica to ask: the node becomes a head all the same
    await b!.threads.adopt(TASK, request);
    expect(b!.threads.heads(TASK)).toEqual([request]);
    const answer = await b!.threads.append(TASK, 'help_response', { answer: 'because', request: ULID }, bob);

    const history = await b!.threads.history(answer);
    expect(history.nodes.map((n) => n.hash)).toEqual([answer]);
    expect(history.nodes[0]?.node.parents).toEqual([request]);
    expect(history.missing).toEqual([
      { hash: request, reason: expect.stringContaining('not held here') as unknown },
    ]);
    expect(history.corrupt).toEqual([]);
  });

  it('reports parents that are not thread nodes, of another task, or corrupt on disk', async () => {
    const {
      nodes: [a],
    } = await nodes(1);
    const threads = a!.threads;
    const { hash: garbage } = await a!.store.put(new TextEncoder().encode('not a thread node'));
    const { hash: foreign } = await a!.store.put(
      encodeThreadNode(node({ task: OTHER, kind: 'escalation', body: { reason: 'elsewhere' } })),
    );
    const good = await threads.append(TASK, 'escalation', { reason: 'fine' }, alice);
    const child = (
      await a!.store.put(
        encodeThreadNode(
          node({ parents: [garbage, foreign, good].sort(), kind: 'escalation', body: { reason: 'x' } }),
        ),
      )
    ).hash;
    // the bytes of `good` rot on disk
    const path = join(a!.dataDir, 'blobs', 'data', good.slice(0, 2), good.slice(2, 4), good);
    const bytes = await readFile(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0xff, bytes.length - 2);
    await writeFile(path, bytes);

    const history = await threads.history(child);
    expect(history.nodes.map((n) => n.hash)).toEqual([child]);
    const reasons = Object.fromEntries(history.corrupt.map((c) => [c.hash, c.reason]));
    expect(reasons[garbage]).toMatch(/ThreadNodeError.*not UTF-8 JSON/);
    expect(reasons[foreign]).toMatch(/of task local:demo\/app#5, not of local:demo\/app#4/);
    expect(reasons[good]).toMatch(/CorruptBlobError/);

    // a head that is no hash at all is reported too, never thrown
    const bad = await threads.history('not-a-hash');
    expect(bad).toMatchObject({ nodes: [], corrupt: [{ hash: 'not-a-hash', reason: 'not a blob hash' }] });
  });
});

function node(fields: Partial<ThreadNode>): ThreadNode {
  return {
    v: 1,
    task: TASK,
    kind: 'escalation',
    parents: [],
    from: alice,
    at: '2024-01-01T00:00:00.000Z',
    body: { reason: 'stuck' },
    ...fields,
  } as ThreadNode;
}

describe('thread node bytes', () => {
  const valid = node({});
  const bad: [string, unknown][] = [
    ['an unknown kind', { ...valid, kind: 'gossip' }],
    ['another version', { ...valid, v: 2 }],
    ['a parent that is no hash', { ...valid, parents: ['abc'] }],
    [
      'too many parents',
      { ...valid, parents: Array.from({ length: 33 }, (_, i) => i.toString(16).padStart(64, '0')) },
    ],
    ['a body of another kind', { ...valid, body: { question: 'why?', request: ULID } }],
    ['no task key', { ...valid, task: 'app#4' }],
    ['a sender that is no node id', { ...valid, from: { node: 'me' } }],
    ['no time', { ...valid, at: 'yesterday' }],
    [
      'an unknown plan outcome',
      { ...node({ kind: 'plan_outcome' }), body: { outcome: 'maybe', reviews: [] } },
    ],
  ];

  it('round-trip a valid node through its canonical encoding', () => {
    expect(decodeThreadNode(encodeThreadNode(valid))).toEqual(valid);
  });

  it.each(bad)('are rejected with a named error: %s', (_, value) => {
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    expect(() => decodeThreadNode(bytes, 'ab'.repeat(32))).toThrow(ThreadNodeError);
    expect(() => checkThreadNode(value as ThreadNode)).toThrow(ThreadNodeError);
  });

  it('are rejected when not JSON or too large', () => {
    expect(() => decodeThreadNode(new Uint8Array([0xff, 0xfe]))).toThrow(/not UTF-8 JSON/);
    expect(() => decodeThreadNode(new Uint8Array(300 * 1024))).toThrow(/more than/);
  });
});
