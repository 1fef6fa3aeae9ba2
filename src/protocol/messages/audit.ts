/**
 * Data of `audit_head` (SPEC §13, issue 16): a node's signed audit chain head, gossiped on the
 * coordination channel when it moves and periodically, with some of the heads of other nodes
 * the sender witnessed, so each node also learns what the others saw of it. The signatures are
 * checked by the receiver (`checkAuditHead`, audit.ts), not by the schema.
 */
import { z } from 'zod';
import { nodeIdField, timestampField } from '../fields.js';

/** Most witnessed heads one `audit_head` carries. */
export const MAX_WITNESSED_HEADS = 32;

/** A BLAKE3-256 hash as 64 lowercase hex digits. */
export const blake3HexField = z.string().regex(/^[0-9a-f]{64}$/, 'expected a BLAKE3-256 hex digest');

/** base64 of a 64-byte Ed25519 signature, one spelling only. */
export const signatureField = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'not a base64 Ed25519 signature');

/**
 * A node's signed audit chain head: its last entry's `seq` and blob `hash`, when it was signed,
 * and `sig`, the node's signature over the audit head domain and the canonical rest.
 */
export const auditHeadSchema = z.strictObject({
  at: timestampField,
  hash: blake3HexField,
  node: nodeIdField,
  seq: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  sig: signatureField,
});
export type SignedAuditHead = z.infer<typeof auditHeadSchema>;

/** `audit_head`: the sender's own head (null while its chain is empty) and heads of other nodes it witnessed. */
export const auditHeadMessageSchema = z.object({
  head: auditHeadSchema.nullable(),
  witnessed: z.array(auditHeadSchema).max(MAX_WITNESSED_HEADS),
});
export type AuditHeadMessage = z.infer<typeof auditHeadMessageSchema>;
