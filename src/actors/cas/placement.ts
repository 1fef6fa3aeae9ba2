/**
 * Where a blob lives: rendezvous (highest-random-weight) hashing of (blob hash, node id) over
 * the live members. Each node's weight for a blob is the first 8 bytes of
 * SHA-256(`<hash>\0<node id>`); the `replicas` heaviest nodes hold it. A node that joins or
 * leaves moves only the blobs whose set it enters or leaves, and every node computes the same
 * set from the same membership without talking to the others.
 */
import { createHash } from 'node:crypto';

/** A node's weight for a blob (an unsigned 64-bit integer). */
export function placementWeight(hash: string, node: string): bigint {
  return createHash('sha256').update(hash).update('\0').update(node).digest().readBigUInt64BE(0);
}

/**
 * The nodes that should hold `hash`: the `replicas` heaviest of `nodes` (duplicates counted
 * once), heaviest first; all of them when there are fewer.
 */
export function placeBlob(hash: string, nodes: Iterable<string>, replicas: number): string[] {
  const weighed = [...new Set(nodes)].map((node) => ({ node, weight: placementWeight(hash, node) }));
  weighed.sort((a, b) =>
    a.weight === b.weight ? a.node.localeCompare(b.node) : a.weight > b.weight ? -1 : 1,
  );
  return weighed.slice(0, Math.max(0, replicas)).map((w) => w.node);
}
