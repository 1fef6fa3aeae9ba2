/**
 * The resolver without HTTP: blobs from the store or a replica (wrong bytes refused), actors,
 * semantic names through an in-memory name index (`*` matching several, newest first, agent
 * and role filters), file paths through a result tree manifest, and the in-process cache
 * expiring on the simulated clock.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BadAddressError,
  LookupFailedError,
  NamesUnavailableError,
  NotFoundError,
  ReplicaMismatchError,
  Resolver,
  fetcherFromRepairSource,
  type ResolverComponents,
} from '../../src/adapters/resolver/index.js';
import { hashBytes } from '../../src/adapters/cas/index.js';
import { SimulatedClock, silentLogger, systemClock } from '../../src/lib/index.js';
import { eventually } from '../helpers/cli.js';
import { MemoryNameIndex, NODE_A, NODE_B, openStores, record, storeTree, type Stores } from './support.js';

let stores: Stores;
let names: MemoryNameIndex;
beforeEach(async () => {
  stores = await openStores();
  names = new MemoryNameIndex();
});
afterEach(() => stores.close());

function resolver(extra: Partial<ResolverComponents> = {}): Resolver {
  return new Resolver(
    { cluster: 'test' },
    {
      store: stores.local,
      names,
      fetcher: stores.fetcher,
      clock: systemClock,
      logger: silentLogger(),
      ...extra,
    },
  );
}

describe('the resolver', () => {
  it('resolves a local blob to its hash and size, and an actor to its canonical address', async () => {
    const put = await stores.local.put(Buffer.from('hello resolver'));
    const r = resolver();
    await expect(r.resolve(`bzzz://blob/${put.hash}`)).resolves.toEqual({
      addr: `bzzz://blob/${put.hash}`,
      kind: 'blob',
      hash: put.hash,
      size: 14,
    });
    expect(stores.fetcher.calls).toBe(0);
    const actor = `bzzz://${NODE_A}/agents/a%2Fb`;
    await expect(r.resolve(actor)).resolves.toEqual({ addr: actor, kind: 'actor', address: actor });
  });

  it('fetches a blob it lacks from a replica, verified, and keeps it locally unpinned', async () => {
    const bytes = randomBytes(100_000);
    const { hash } = await stores.replica.put(bytes);
    const r = resolver();
    await expect(r.resolve(`bzzz://blob/${hash}`)).resolves.toMatchObject({ hash, size: 100_000 });
    const stat = await eventually(() => stores.local.stat(hash), 20_000, 'the fetched blob kept locally');
    expect(stat).toMatchObject({ size: 100_000, pinned: false });
    expect(Buffer.from(await stores.local.get(hash)).equals(bytes)).toBe(true);
  });

  it('refuses bytes from a replica that do not hash to the blob, and keeps nothing', async () => {
    const wanted = await hashBytes(Buffer.from('the real bytes'));
    const r = resolver({ fetcher: () => Promise.resolve(Buffer.from('forged bytes')) });
    const error = await r.resolve(`bzzz://blob/${wanted}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicaMismatchError);
    expect(error).toMatchObject({ status: 502, code: 'bad_replica' });
    expect(await stores.local.has(wanted)).toBe(false);
  });

  it('takes a replica’s bytes as a stream through the repair source, up to a bound', async () => {
    const bytes = randomBytes(3_000);
    const { hash } = await stores.replica.put(bytes);
    const source = async (h: string) => (h === hash ? stores.replica.read(h) : undefined);
    const streamed = resolver({ fetcher: fetcherFromRepairSource(source) });
    await expect(streamed.resolve(`bzzz://blob/${hash}`)).resolves.toMatchObject({ size: 3_000 });
    const other = randomBytes(3_000);
    const { hash: otherHash } = await stores.replica.put(other);
    const capped = resolver({
      fetcher: fetcherFromRepairSource(async (h) => stores.replica.read(h), 1_000),
    });
    const error = await capped.resolve(`bzzz://blob/${otherHash}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LookupFailedError);
    expect(error).toMatchObject({
      status: 503,
      message: expect.stringMatching(/exceeds 1000 bytes/) as string,
    });
    expect(await stores.local.has(otherHash)).toBe(false);
  });

  it('answers not found for a blob no one holds, and names the part of a malformed address', async () => {
    const r = resolver();
    await expect(r.resolve(`bzzz://blob/${'0'.repeat(64)}`)).rejects.toBeInstanceOf(NotFoundError);
    const cases: [string, string][] = [
      ['bzzz://blob/ABC', 'hash'],
      ['http://blob/x', 'scheme'],
      ['bzzz://*:*@demo~calc:0/log', 'number'],
      ['bzzz://a b:*@demo~calc:1/log', 'agent'],
      ['bzzz://*:*@demo~calc:1', 'path'],
    ];
    for (const [addr, part] of cases) {
      const error = await r.resolve(addr).catch((e: unknown) => e);
      expect(error, addr).toBeInstanceOf(BadAddressError);
      expect(error, addr).toMatchObject({ status: 400, code: 'bad_address', part });
    }
  });

  it('resolves a name with * to every match, newest first; agent and role narrow it', async () => {
    const [older, newer] = await Promise.all([
      stores.local.put(Buffer.from('{"steps":[1]}')),
      stores.local.put(Buffer.from('{"steps":[1,2]}')),
    ]);
    names.publish(record({ path: 'log', value: older.hash, size: older.size, seq: 3 }));
    names.publish(
      record({
        node: NODE_B,
        nodeName: 'beta',
        agent: 'beta-1',
        roles: ['python'],
        path: 'log',
        value: newer.hash,
        size: newer.size,
        seq: 7,
      }),
    );
    names.publish(record({ path: 'log', value: older.hash, seq: 1, task: 'local:demo/calc#2' }));
    const r = resolver();
    const all = await r.resolve('bzzz://*:*@demo~calc:1/log');
    expect(all).toMatchObject({ kind: 'names', hash: newer.hash, size: newer.size });
    expect(all.matches?.map((m) => [m.agent, m.seq, m.hash])).toEqual([
      ['beta-1', 7, newer.hash],
      ['alpha', 3, older.hash],
    ]);
    expect((await r.resolve('bzzz://alpha:*@demo~calc:1/log')).matches?.map((m) => m.agent)).toEqual([
      'alpha',
    ]);
    expect((await r.resolve('bzzz://beta:*@demo~calc:1/log')).matches?.map((m) => m.agent)).toEqual([
      'beta-1',
    ]);
    expect((await r.resolve('bzzz://*:python@demo~calc:1/log')).hash).toBe(newer.hash);
    await expect(r.resolve('bzzz://*:rust@demo~calc:1/log')).rejects.toBeInstanceOf(NotFoundError);
    await expect(r.resolve('bzzz://*:*@demo~calc:3/log')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'no record answers bzzz://*:*@demo~calc:3/log',
    });
  });

  it('resolves a pr to its URL, and leaves out records whose value is not what the path holds', async () => {
    names.publish(record({ path: 'pr', value: 'https://forge.example/demo/calc/pull/4', seq: 2 }));
    names.publish(
      record({
        node: NODE_B,
        nodeName: 'beta',
        agent: 'beta',
        path: 'pr',
        value: 'javascript:alert(1)',
        seq: 9,
      }),
    );
    names.publish(record({ path: 'diff', value: 'not-a-hash', seq: 2 }));
    const r = resolver();
    const pr = await r.resolve('bzzz://*:*@demo~calc:1/pr');
    expect(pr).toMatchObject({ url: 'https://forge.example/demo/calc/pull/4' });
    expect(pr.matches).toHaveLength(1);
    await expect(r.resolve('bzzz://*:*@demo~calc:1/diff')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resolves a file path through the result tree manifest, read from a replica if need be', async () => {
    const { tree, hashes } = await storeTree(stores.replica, {
      'src/calc.ts': 'export const add = 1;\n',
      'README.md': '# calc\n',
    });
    names.publish(record({ path: 'tree', value: tree, seq: 4 }));
    const r = resolver();
    const file = await r.resolve('bzzz://*:*@demo~calc:1/src/calc.ts');
    expect(file).toMatchObject({ kind: 'names', hash: hashes['src/calc.ts'], size: 22 });
    expect(file.matches?.[0]).toMatchObject({ path: 'src/calc.ts', agent: 'alpha', seq: 4 });
    await expect(r.resolve('bzzz://*:*@demo~calc:1/src/missing.ts')).rejects.toThrow(
      /no file "src\/missing.ts" in the result tree/,
    );
  });

  it('names a manifest that is not one instead of failing on it', async () => {
    const bad = await stores.local.put(Buffer.from('{"v":2,"files":[]}'));
    names.publish(record({ path: 'tree', value: bad.hash, seq: 1 }));
    await expect(resolver().resolve('bzzz://*:*@demo~calc:1/a.txt')).rejects.toThrow(
      /result tree manifest .* is not valid/,
    );
  });

  it('says names are not available without an index, and a failing index is a 503', async () => {
    const error = await resolver({ names: undefined })
      .resolve('bzzz://*:*@demo~calc:1/log')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NamesUnavailableError);
    expect(error).toMatchObject({
      status: 404,
      message: expect.stringMatching(/names are not available/) as string,
    });
    names.failure = new Error('connection lost');
    await expect(resolver().resolve('bzzz://*:*@demo~calc:1/log')).rejects.toBeInstanceOf(LookupFailedError);
  });

  it('keeps a name in memory for its short lifetime, then asks the index again', async () => {
    const clock = new SimulatedClock(1_000_000);
    const log = await stores.local.put(Buffer.from('{}'));
    names.publish(record({ path: 'log', value: log.hash, seq: 1 }));
    const r = new Resolver(
      { cluster: 'test', memoryTtlMs: 1_000 },
      { store: stores.local, names, clock, logger: silentLogger() },
    );
    await r.resolve('bzzz://*:*@demo~calc:1/log');
    await r.resolve('bzzz://*:*@demo~calc:1/log');
    expect(names.lookups).toBe(1);
    const newer = await stores.local.put(Buffer.from('{"more":1}'));
    names.publish(record({ path: 'log', value: newer.hash, seq: 2 }));
    await clock.advance(1_001);
    await expect(r.resolve('bzzz://*:*@demo~calc:1/log')).resolves.toMatchObject({ hash: newer.hash });
    expect(names.lookups).toBe(2);
  });
});
