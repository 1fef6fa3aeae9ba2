/** Rendezvous placement and the holder table of the CAS replicator. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HolderTable } from '../../src/actors/cas/holders.js';
import { placeBlob } from '../../src/actors/cas/placement.js';

const hashes = Array.from({ length: 2_000 }, () => randomBytes(32).toString('hex'));
const nodes = Array.from({ length: 10 }, (_, i) => `node-${i}`);

describe('placeBlob', () => {
  it('picks the same distinct nodes whatever the order of the membership', () => {
    for (const hash of hashes.slice(0, 100)) {
      const placed = placeBlob(hash, nodes, 3);
      expect(new Set(placed).size).toBe(3);
      expect(placeBlob(hash, [...nodes].reverse(), 3)).toEqual(placed);
      expect(placeBlob(hash, [...nodes, ...nodes], 3)).toEqual(placed);
    }
  });

  it('places on every node when there are fewer nodes than replicas', () => {
    expect(placeBlob(hashes[0]!, ['a', 'b'], 3).sort()).toEqual(['a', 'b']);
    expect(placeBlob(hashes[0]!, [], 3)).toEqual([]);
  });

  it('spreads blobs over the nodes', () => {
    const load = new Map<string, number>();
    for (const hash of hashes)
      for (const node of placeBlob(hash, nodes, 3)) load.set(node, (load.get(node) ?? 0) + 1);
    // 600 placements per node on average: every node well within half and twice that
    for (const node of nodes) {
      expect(load.get(node)).toBeGreaterThan(300);
      expect(load.get(node)).toBeLessThan(1_200);
    }
  });

  it('moves only the blobs whose set a joining node enters', () => {
    const joined = [...nodes, 'node-new'];
    let moved = 0;
    for (const hash of hashes) {
      const before = placeBlob(hash, nodes, 3);
      const after = placeBlob(hash, joined, 3);
      if (after.includes('node-new')) {
        moved++;
        // the newcomer takes one slot; the other two holders stay
        expect(after.filter((n) => before.includes(n))).toHaveLength(2);
      } else expect(after).toEqual(before);
    }
    // about 3/11 of the blobs
    expect(moved).toBeGreaterThan(hashes.length * 0.15);
    expect(moved).toBeLessThan(hashes.length * 0.4);
  });

  it('moves only the blobs a leaving node held, each to one new node', () => {
    const left = nodes.filter((n) => n !== 'node-3');
    for (const hash of hashes) {
      const before = placeBlob(hash, nodes, 3);
      const after = placeBlob(hash, left, 3);
      if (!before.includes('node-3')) expect(after).toEqual(before);
      else {
        expect(after.filter((n) => before.includes(n))).toHaveLength(2);
        expect(after).not.toContain('node-3');
      }
    }
  });
});

describe('HolderTable', () => {
  it('records holders once each, first heard first, and says what is news', () => {
    const table = new HolderTable();
    expect(table.add('h1', 'a', 10, 1)).toBe(true);
    expect(table.add('h1', 'b', 10, 2)).toBe(true);
    expect(table.add('h1', 'a', 10, 3)).toBe(false);
    expect(table.holders('h1')).toEqual(['a', 'b']);
    expect(table.size('h1')).toBe(10);
    expect(table.holders('unknown')).toEqual([]);
  });

  it('drops every blob of a dead node and forgets a blob nobody holds', () => {
    const table = new HolderTable();
    table.add('h1', 'a', 1, 0);
    table.add('h1', 'b', 1, 0);
    table.add('h2', 'a', 2, 0);
    expect(table.dropNode('a').sort()).toEqual(['h1', 'h2']);
    expect(table.holders('h1')).toEqual(['b']);
    expect(table.holders('h2')).toEqual([]);
    expect(table.size('h2')).toBeUndefined();
    expect(table.blobCount).toBe(1);
    expect(table.nodes()).toEqual(['b']);
    expect(table.dropNode('a')).toEqual([]);
  });

  it('removes one holder of one blob', () => {
    const table = new HolderTable();
    table.add('h1', 'a', 1, 0);
    table.add('h2', 'a', 1, 0);
    table.remove('h1', 'a');
    expect(table.holders('h1')).toEqual([]);
    expect([...table.blobs()].map((b) => b.hash)).toEqual(['h2']);
  });
});
