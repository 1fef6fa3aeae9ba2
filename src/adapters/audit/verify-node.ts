/**
 * `bzzz audit verify --node ID`: another node's chain, from the blobs replicated into this data
 * dir's content store, against the heads of that node this dir witnessed. The walk starts at
 * the latest witnessed head's hash and follows `prev` links down to seq 1; every blob is read
 * through the store (which verifies it against its hash), parsed and its signature checked.
 * Then each older witnessed head must be the walked chain's entry of its seq, and any fork
 * evidence about the node is reported. The first bad entry is the one of lowest seq.
 */
import { describeError } from '../../lib/errors.js';
import { decodeAuditEntry, verifyAuditEntryBytes } from '../../protocol/audit.js';
import { publicKeyForNodeId } from '../../protocol/node-id.js';
import { BlobNotFoundError, type ContentStore } from '../cas/index.js';
import { firstProblem, type AuditProblem } from './chain-check.js';
import { auditPaths } from './files.js';
import type { ChainReport } from './verify.js';
import { readWitnessFile } from './witness-file.js';

export async function verifyNodeChain(
  dataDir: string,
  node: string,
  store: ContentStore,
): Promise<ChainReport> {
  const fail = (problem: AuditProblem, entries = 0): ChainReport => ({
    ok: false,
    node,
    entries,
    head: null,
    witnessed: 0,
    problem,
    notes: [],
  });
  const key = publicKeyForNodeId(node);
  if (key === undefined) return fail({ seq: 0, hash: null, reason: `${node} is not a node id` });
  let witnesses;
  try {
    witnesses = await readWitnessFile(auditPaths(dataDir).witnesses);
  } catch (error) {
    return fail({ seq: 0, hash: null, reason: describeError(error) });
  }
  const witness = witnesses.nodes[node];
  if (witness === undefined)
    return fail({ seq: 0, hash: null, reason: `no head of ${node} was witnessed here` });
  const { latest, checkpoints } = witness;
  const { hashes, problem } = await walk(store, node, key, latest.seq, latest.hash);
  const problems = [
    problem,
    ...checkpoints.map((c) => {
      const walked = hashes.get(c.seq);
      return walked === undefined || walked === c.hash
        ? undefined
        : {
            seq: c.seq,
            hash: walked,
            reason: `forks from the head of seq ${c.seq} witnessed earlier (${c.hash})`,
          };
    }),
    ...witnesses.forks
      .filter((f) => f.node === node)
      .map((f) => ({
        seq: f.seq,
        hash: f.conflicting.hash,
        reason: `fork evidence from ${f.by}: ${f.reason}`,
      })),
  ];
  const first = firstProblem(problems) ?? null;
  return {
    ok: first === null,
    node,
    entries: hashes.size,
    head: latest,
    witnessed: 1 + checkpoints.length,
    problem: first,
    notes: [],
  };
}

/** Follows the chain down from `hash` (seq `seq`); stops at seq 1 or at a blob it cannot read. */
async function walk(
  store: ContentStore,
  node: string,
  key: NonNullable<ReturnType<typeof publicKeyForNodeId>>,
  top: number,
  topHash: string,
): Promise<{ hashes: Map<number, string>; problem: AuditProblem | undefined }> {
  const hashes = new Map<number, string>();
  let problem: AuditProblem | undefined;
  let hash: string | null = topHash;
  for (let seq = top; seq >= 1 && hash !== null; seq--) {
    let blob: Uint8Array;
    try {
      blob = await store.get(hash);
    } catch (error) {
      const why =
        error instanceof BlobNotFoundError
          ? 'not in this content store (not replicated here)'
          : describeError(error);
      return { hashes, problem: { seq, hash, reason: `its blob is ${why}` } };
    }
    let entry;
    try {
      entry = decodeAuditEntry(blob);
    } catch (error) {
      return { hashes, problem: { seq, hash, reason: `not an audit entry (${describeError(error)})` } };
    }
    hashes.set(seq, hash);
    // the lowest problem wins: keep walking down past one
    if (entry.seq !== seq)
      problem = { seq, hash, reason: `the blob linked as seq ${seq} says seq ${entry.seq}` };
    else if (entry.node !== node) problem = { seq, hash, reason: `names node ${entry.node}, not ${node}` };
    else if (!verifyAuditEntryBytes(blob, key))
      problem = { seq, hash, reason: `its signature is not ${node}'s` };
    if (seq === 1 && entry.prev !== null)
      problem = { seq, hash, reason: 'the first entry links to a previous one' };
    if (seq > 1 && entry.prev === null) problem = { seq, hash, reason: `seq ${seq} links to nothing` };
    hash = entry.prev;
  }
  return { hashes, problem };
}
