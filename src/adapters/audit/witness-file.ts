/**
 * `<data_dir>/audit/witnesses.json`: what this node witnessed. For each other node, the latest
 * signed head it saw and a few older ones (checkpoints, thinned to stay spread over the
 * chain); the heads of this node that peers said they witnessed (so an offline verify of this
 * node's own chain compares against them); and fork evidence: pairs of heads, both signed by
 * one node, that no single chain can have. Every head is checked again when the file is read.
 */
import { z } from 'zod';
import { auditHeadSchema, verifyAuditHead, type SignedAuditHead } from '../../protocol/audit.js';
import { readOptional } from './files.js';

/** Most checkpoints kept per node, and most heads of this node kept. */
export const MAX_CHECKPOINTS = 16;
/** Most fork evidence kept (the first ones). */
export const MAX_FORKS = 256;

const forkSchema = z.object({
  node: z.string(),
  seq: z.int(),
  reason: z.string(),
  /** The head witnessed first. */
  witnessed: auditHeadSchema,
  /** The head that conflicts with it. */
  conflicting: auditHeadSchema,
  /** The node that sent the conflicting head (or the witnessed one, for this node's own). */
  by: z.string(),
  detectedAt: z.string(),
});
export type ForkEvidence = z.infer<typeof forkSchema>;

const nodeWitnessSchema = z.object({
  latest: auditHeadSchema,
  checkpoints: z.array(auditHeadSchema),
});
export type NodeWitness = z.infer<typeof nodeWitnessSchema>;

const witnessFileSchema = z.object({
  v: z.literal(1),
  nodes: z.record(z.string(), nodeWitnessSchema),
  self: z.array(z.object({ head: auditHeadSchema, by: z.string() })),
  forks: z.array(forkSchema),
});
export type WitnessFile = z.infer<typeof witnessFileSchema>;

export const emptyWitnessFile = (): WitnessFile => ({ v: 1, nodes: {}, self: [], forks: [] });

/**
 * Reads the file (empty when there is none). Heads whose signature does not verify are
 * dropped; a file that is not a witness file throws, saying so.
 */
export async function readWitnessFile(path: string): Promise<WitnessFile> {
  const bytes = await readOptional(path);
  if (bytes === undefined) return emptyWitnessFile();
  let input: unknown;
  try {
    input = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  const parsed = witnessFileSchema.safeParse(input);
  if (!parsed.success)
    throw new Error(`${path} is no witness file: ${parsed.error.issues[0]?.message ?? ''}`);
  const file = parsed.data;
  const nodes: WitnessFile['nodes'] = {};
  for (const [node, witness] of Object.entries(file.nodes)) {
    if (witness.latest.node !== node || !verifyAuditHead(witness.latest)) continue;
    nodes[node] = { latest: witness.latest, checkpoints: witness.checkpoints.filter(signedBy(node)) };
  }
  return {
    v: 1,
    nodes,
    self: file.self.filter((s) => verifyAuditHead(s.head)),
    forks: file.forks.filter((f) => signedBy(f.node)(f.witnessed) && signedBy(f.node)(f.conflicting)),
  };
}

const signedBy =
  (node: string) =>
  (head: SignedAuditHead): boolean =>
    head.node === node && verifyAuditHead(head);

/**
 * Keeps at most {@link MAX_CHECKPOINTS} heads, sorted by seq: while over, the one (never the
 * first or the last) whose neighbours lie closest together goes, so the kept ones stay spread.
 */
export function thinHeads<T>(items: T[], seqOf: (item: T) => number, max = MAX_CHECKPOINTS): T[] {
  const sorted = [...items].sort((a, b) => seqOf(a) - seqOf(b));
  while (sorted.length > max) {
    let drop = 1;
    let gap = Number.POSITIVE_INFINITY;
    for (let i = 1; i < sorted.length - 1; i++) {
      const g = seqOf(sorted[i + 1]!) - seqOf(sorted[i - 1]!);
      if (g < gap) [gap, drop] = [g, i];
    }
    sorted.splice(drop, 1);
  }
  return sorted;
}
