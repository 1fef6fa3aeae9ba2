/**
 * The audit log port (SPEC §13, issue 16): each node's claims, renewals, losses, releases,
 * fenced effects (with their tokens), escalations and outcomes as a hash chain of entries it
 * signs, each entry a blob of the content store; the signed head of the chain; the heads of
 * other nodes it witnessed; and the checks `bzzz audit verify` runs. One implementation, `fs`
 * (chain.ts), under `<data_dir>/audit/`.
 */
import { FsAuditLog } from './chain.js';
import type { AuditComponents, AuditInit, AuditLog } from './types.js';

export type * from './types.js';
export * from './errors.js';
export { FsAuditLog } from './chain.js';
export { auditPaths, type AuditPaths } from './files.js';
export { WitnessBook, type Observation } from './witnesses.js';
export { readWitnessFile, type ForkEvidence, type WitnessFile } from './witness-file.js';
export { verifyChain, type ChainReport, type AuditProblem, type VerifyChainOptions } from './verify.js';
export { verifyNodeChain } from './verify-node.js';
export { taskEntries, type ShownEntry } from './show.js';
export { EntryChecker } from './entry-checker.js';

/** This node's audit log under `init.dataDir`. */
export function createAuditLog(init: AuditInit, components: AuditComponents): AuditLog {
  return new FsAuditLog(init, components);
}
