/**
 * The CAS replicator on an in-process network of real `fs` stores (replica-net.ts): placement
 * decides who fetches, fetched bytes are verified, a corrupt holder is refused and another
 * used, a dead holder's blobs come back to the factor, and the store's repair hook works.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { placeBlob } from '../../src/actors/cas/placement.js';
import { eventually } from '../helpers/cli.js';
import { holdsPinned, ReplicaNet } from './replica-net.js';

const DEADLINE_MS = 20_000;
let net: ReplicaNet | undefined;

afterEach(async () => {
  await net?.close();
  net = undefined;
});

async function allHold(nodes: string[], hash: string): Promise<true | undefined> {
  for (const id of nodes) if (!(await holdsPinned(net!.nodes.get(id)!, hash))) return undefined;
  return true;
}

describe('CasReplicator', () => {
  it('brings a blob pinned on one node to the other two, verified', async () => {
    net = new ReplicaNet(3);
    const [a] = [await net.add('a'), await net.add('b'), await net.add('c')];
    const bytes = randomBytes(200_000);
    const { hash } = await a.opened.store.put(bytes, { pin: true });
    await eventually(() => allHold(['a', 'b', 'c'], hash), DEADLINE_MS, 'three holders');
    expect(Buffer.from(await net.nodes.get('c')!.opened.store.get(hash)).equals(bytes)).toBe(true);
    expect(net.nodes.get('b')!.counts.replicated).toEqual(['ok']);
    await eventually(() => (a.replicator.holders(hash).length === 3 ? true : undefined), DEADLINE_MS);
    expect(a.replicator.underReplicated()).toBe(0);
    expect((await a.replicator.state(hash)).wanted).toBe(3);
  });

  it('keeps a blob on the placed nodes only when there are more nodes than replicas', async () => {
    net = new ReplicaNet(2);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await net.add(id);
    const owner = net.nodes.get('a')!;
    const { hash } = await owner.opened.store.put(randomBytes(10_000), { pin: true });
    const placed = placeBlob(hash, ['a', 'b', 'c', 'd', 'e'], 2);
    await eventually(() => allHold(placed, hash), DEADLINE_MS, 'the placed nodes hold it');
    // periodic re-announces do not make the others fetch
    for (let i = 0; i < 3; i++) await net.clock.advance(1_000);
    for (const id of ['b', 'c', 'd', 'e'].filter((id) => !placed.includes(id)))
      expect(await holdsPinned(net.nodes.get(id)!, hash)).toBe(false);
  });

  it('refuses a holder that sends wrong bytes and takes the blob from another', async () => {
    net = new ReplicaNet(3);
    const a = await net.add('a');
    await net.add('b');
    const bytes = randomBytes(50_000);
    const { hash } = await a.opened.store.put(bytes, { pin: true });
    await eventually(() => allHold(['a', 'b'], hash), DEADLINE_MS, 'b holds it');
    net.corrupt.add('a');
    net.corrupt.add('b');
    const c = await net.add('c');
    // with both holders corrupt nothing is stored
    await eventually(
      async () => {
        await net!.clock.advance(1_000);
        return c.counts.badCopies >= 2 ? true : undefined;
      },
      DEADLINE_MS,
      'two refusals',
    );
    expect(await c.opened.store.has(hash)).toBe(false);
    net.corrupt.delete('b');
    await eventually(
      async () => {
        await net!.clock.advance(1_000);
        return allHold(['c'], hash);
      },
      DEADLINE_MS,
      'c holds it from b',
    );
    expect(Buffer.from(await c.opened.store.get(hash)).equals(bytes)).toBe(true);
    expect(c.fetchedFrom).toContain('a');
    expect(c.fetchedFrom).toContain('b');
  });

  it('brings the factor back when a holder dies, counted as a repair', async () => {
    net = new ReplicaNet(3);
    for (const id of ['a', 'b', 'c', 'd']) await net.add(id);
    const ids = ['a', 'b', 'c', 'd'];
    let hash = '';
    let placed: string[] = [];
    // a blob that `a` holds but whose placement leaves one node out
    for (;;) {
      const candidate = (await net.nodes.get('a')!.opened.store.put(randomBytes(1_000), { pin: true })).hash;
      placed = placeBlob(candidate, ids, 3);
      if (placed.includes('a')) {
        hash = candidate;
        break;
      }
    }
    await eventually(() => allHold(placed, hash), DEADLINE_MS, 'the placed nodes hold it');
    const spare = ids.find((id) => !placed.includes(id))!;
    const victim = placed.find((id) => id !== 'a')!;
    expect(await holdsPinned(net.nodes.get(spare)!, hash)).toBe(false);
    await net.kill(victim);
    await eventually(() => allHold([spare], hash), DEADLINE_MS, 'the spare took the dead holder’s place');
    expect(net.nodes.get(spare)!.counts.repaired).toEqual(['ok']);
    await eventually(
      () => (net!.nodes.get('a')!.replicator.holders(hash).length === 3 ? true : undefined),
      DEADLINE_MS,
      'a sees three live holders',
    );
    expect(net.nodes.get('a')!.replicator.underReplicated()).toBe(0);
    expect(net.nodes.get('a')!.replicator.holders(hash)).not.toContain(victim);
  });

  it('counts a blob with too few live holders as under-replicated', async () => {
    net = new ReplicaNet(3);
    const a = await net.add('a');
    await net.add('b');
    await net.add('c');
    const { hash } = await a.opened.store.put(randomBytes(1_000), { pin: true });
    await eventually(() => allHold(['a', 'b', 'c'], hash), DEADLINE_MS);
    await eventually(() => (a.replicator.holders(hash).length === 3 ? true : undefined), DEADLINE_MS);
    await net.kill('b');
    // two live nodes now: two copies are all that is wanted
    expect(a.replicator.underReplicated()).toBe(0);
    expect((await a.replicator.state(hash)).wanted).toBe(2);
    expect(a.replicator.holders(hash).sort()).toEqual(['a', 'c']);
  });

  it('serves the store repair hook from a good holder, skipping a corrupt one', async () => {
    net = new ReplicaNet(3);
    const a = await net.add('a');
    await net.add('b');
    const c = await net.add('c');
    const bytes = randomBytes(30_000);
    const { hash } = await a.opened.store.put(bytes, { pin: true });
    await eventually(() => allHold(['a', 'b', 'c'], hash), DEADLINE_MS);
    await eventually(() => (c.replicator.holders(hash).length === 3 ? true : undefined), DEADLINE_MS);
    net.corrupt.add('a');
    const copy = await c.replicator.repairSource(hash);
    expect(copy).toBeDefined();
    expect(Buffer.from(copy!).equals(bytes)).toBe(true);
    net.corrupt.add('b');
    expect(await c.replicator.repairSource(hash)).toBeUndefined();
    // the store counts its hook's outcomes; the replicator counts only the refused copies
    expect(c.counts.repaired).toEqual([]);
    // both corrupt holders refused on the second call (and `a` maybe on the first)
    expect(c.counts.badCopies).toBeGreaterThanOrEqual(2);
  });
});
