/**
 * The audit log's signed records (SPEC §13, issue 16): entries and chain heads.
 *
 * An entry is `{ at, data, kind, node, prev, seq, sig, task, token }`: the `seq`-th record of
 * `node`'s chain, linked to the previous one by `prev` (the BLAKE3-256 of the previous entry's
 * blob; null for seq 1), with `sig` the node's Ed25519 signature (base64) over
 * {@link AUDIT_ENTRY_DOMAIN} followed by the canonical encoding of every other member. An
 * entry's blob, the bytes stored in the content store and hashed into the next `prev`, is the
 * canonical JSON of the whole entry: `sig` sits between `seq` and `task` there, so the signed
 * bytes are the blob with that one member cut out ({@link auditEntrySignedBytes}), and a
 * verifier never encodes anything again. A head `{ at, hash, node, seq, sig }` is signed the
 * same way under {@link AUDIT_HEAD_DOMAIN}. The domains keep either signature from ever passing
 * for the other's, or for an envelope's, which the same key signs.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes, canonicalJson } from './canonical.js';
import { InvalidAuditRecordError } from './errors.js';
import {
  countField,
  isJsonPayload,
  nodeIdField,
  taskKeyField,
  timestampField,
  type JsonValue,
} from './fields.js';
import { auditHeadSchema, blake3HexField, signatureField, type SignedAuditHead } from './messages/audit.js';
import { publicKeyForNodeId, type NodeId } from './node-id.js';

export { auditHeadSchema, type SignedAuditHead } from './messages/audit.js';

/** What an entry records: a lease event, a fenced effect, an escalation or a task's outcome. */
export const AUDIT_KINDS = [
  'claim',
  'renewal',
  'loss',
  'release',
  'effect',
  'escalation',
  'outcome',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** What every entry signature covers first. */
export const AUDIT_ENTRY_DOMAIN = 'bzzz audit entry v1\n';
/** What every head signature covers first. */
export const AUDIT_HEAD_DOMAIN = 'bzzz audit head v1\n';
/** Largest entry blob, in bytes. */
export const MAX_AUDIT_ENTRY_BYTES = 32 * 1024;

const ENTRY_DOMAIN = Buffer.from(AUDIT_ENTRY_DOMAIN, 'utf8');
const HEAD_DOMAIN = Buffer.from(AUDIT_HEAD_DOMAIN, 'utf8');
const SIG_MEMBER = Buffer.from(',"sig":"', 'utf8');
const TASK_MEMBER = Buffer.from(',"task":', 'utf8');
/** `,"sig":"` + 88 base64 characters + `"`. */
const SIG_MEMBER_BYTES = SIG_MEMBER.length + 88 + 1;
const decoder = new TextDecoder('utf-8', { fatal: true });

type JsonObject = Record<string, JsonValue>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && isJsonPayload(value);

/** An entry as stored (the signature is checked apart, {@link verifyAuditEntryBytes}). */
export const auditEntrySchema = z.strictObject({
  at: timestampField,
  data: z.custom<JsonObject>(isObject, 'not a JSON object'),
  kind: z.enum(AUDIT_KINDS),
  node: nodeIdField,
  prev: blake3HexField.nullable(),
  seq: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  sig: signatureField,
  task: taskKeyField.nullable(),
  token: countField.nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type UnsignedAuditEntry = Omit<AuditEntry, 'sig'>;

/** A signed entry and its blob. */
export interface SignedAuditEntry {
  entry: AuditEntry;
  bytes: Buffer;
}

/**
 * Signs entries with one node's key, writing each blob straight into a caller's buffer (the
 * audit log's journal batch): the unsigned members' canonical JSON goes into a scratch buffer
 * after the domain and is signed there, then copied out with the `sig` member spliced in where
 * canonical order puts it, before `task` (the last member but `token`; neither can spell
 * `,"task":`). No intermediate string or buffer per entry.
 */
export class AuditEntrySigner {
  readonly #scratch = Buffer.allocUnsafe(ENTRY_DOMAIN.length + MAX_AUDIT_ENTRY_BYTES);

  constructor(private readonly privateKey: KeyObject) {
    ENTRY_DOMAIN.copy(this.#scratch, 0);
  }

  /**
   * Writes the blob of `unsigned`, signed, into `out` at `offset` and returns its length;
   * throws {@link InvalidAuditRecordError} (`too_large`, `malformed`) and writes nothing else.
   */
  write(unsigned: UnsignedAuditEntry, out: Buffer, offset: number): number {
    const body = unsignedEntryJson(unsigned);
    const start = ENTRY_DOMAIN.length;
    const length = Buffer.byteLength(body, 'utf8');
    if (length + SIG_MEMBER_BYTES > MAX_AUDIT_ENTRY_BYTES)
      throw new InvalidAuditRecordError(
        'too_large',
        `${length + SIG_MEMBER_BYTES} bytes, over ${MAX_AUDIT_ENTRY_BYTES}`,
      );
    if (out.length - offset < length + SIG_MEMBER_BYTES) throw new RangeError('no room for the entry');
    const scratch = this.#scratch;
    scratch.write(body, start, 'utf8');
    const signed = scratch.subarray(0, start + length);
    const sig = sign(null, signed, this.privateKey).toString('base64');
    const cut = signed.lastIndexOf(TASK_MEMBER);
    let at = offset + scratch.copy(out, offset, start, cut);
    at += out.write(`,"sig":"${sig}"`, at, 'latin1');
    at += scratch.copy(out, at, cut, start + length);
    return at - offset;
  }
}

/** The canonical JSON of an entry's unsigned members, written member by member. */
function unsignedEntryJson(e: UnsignedAuditEntry): string {
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data))
    throw new InvalidAuditRecordError('malformed', 'data is not a JSON object');
  const s = JSON.stringify;
  // every member but `data` is a string, a number or null: JSON.stringify writes each canonically
  return `{"at":${s(e.at)},"data":${canonicalJson(e.data)},"kind":${s(e.kind)},"node":${s(e.node)},"prev":${s(e.prev ?? null)},"seq":${s(e.seq)},"task":${s(e.task ?? null)},"token":${s(e.token ?? null)}}`;
}

const signers = new WeakMap<KeyObject, AuditEntrySigner>();

/**
 * Signs an entry with its node's key and returns it with its blob. The caller vouches that
 * `privateKey` is `entry.node`'s (the log signs with its own identity only).
 */
export function signAuditEntry(unsigned: UnsignedAuditEntry, privateKey: KeyObject): SignedAuditEntry {
  let signer = signers.get(privateKey);
  if (signer === undefined) signers.set(privateKey, (signer = new AuditEntrySigner(privateKey)));
  const out = Buffer.allocUnsafe(MAX_AUDIT_ENTRY_BYTES);
  const bytes = Buffer.from(out.subarray(0, signer.write(unsigned, out, 0)));
  const cut = auditEntrySignedBytes(bytes)!;
  const { at, data, kind, node, prev, seq, task, token } = unsigned;
  const sig = cut.sig.toString('base64');
  return { entry: { at, data, kind, node, prev, seq, sig, task, token }, bytes };
}

/**
 * The bytes an entry's signature covers, cut from its blob: the domain, then the blob without
 * its `sig` member. Undefined when the blob has no `sig` member where a canonical entry has it.
 */
export function auditEntrySignedBytes(blob: Uint8Array): { signed: Buffer; sig: Buffer } | undefined {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const at = bytes.lastIndexOf(SIG_MEMBER);
  if (at < 0 || bytes[at + SIG_MEMBER_BYTES - 1] !== 0x22) return undefined;
  const sig = Buffer.from(
    bytes.toString('latin1', at + SIG_MEMBER.length, at + SIG_MEMBER_BYTES - 1),
    'base64',
  );
  if (sig.length !== 64) return undefined;
  const signed = Buffer.concat([ENTRY_DOMAIN, bytes.subarray(0, at), bytes.subarray(at + SIG_MEMBER_BYTES)]);
  return { signed, sig };
}

/** True when the blob's signature is `node`'s (its key taken from the node id). */
export function verifyAuditEntryBytes(blob: Uint8Array, node: NodeId | KeyObject): boolean {
  const key = typeof node === 'string' ? publicKeyForNodeId(node) : node;
  const cut = auditEntrySignedBytes(blob);
  if (key === undefined || cut === undefined) return false;
  try {
    return verify(null, cut.signed, key, cut.sig);
  } catch {
    return false;
  }
}

/** Parses an entry blob (shape only); throws {@link InvalidAuditRecordError}. */
export function decodeAuditEntry(blob: Uint8Array): AuditEntry {
  if (blob.byteLength > MAX_AUDIT_ENTRY_BYTES) {
    throw new InvalidAuditRecordError('too_large', `${blob.byteLength} bytes, over ${MAX_AUDIT_ENTRY_BYTES}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(decoder.decode(blob));
  } catch (error) {
    throw new InvalidAuditRecordError('malformed', 'not UTF-8 JSON', { cause: error });
  }
  const parsed = auditEntrySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidAuditRecordError('malformed', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`);
  }
  return parsed.data;
}

/** Signs a chain head with its node's key. */
export function signAuditHead(head: Omit<SignedAuditHead, 'sig'>, privateKey: KeyObject): SignedAuditHead {
  const unsigned = { at: head.at, hash: head.hash, node: head.node, seq: head.seq };
  const sig = sign(null, Buffer.concat([HEAD_DOMAIN, canonicalBytes(unsigned)]), privateKey).toString(
    'base64',
  );
  return { ...unsigned, sig };
}

/** True when `head` is signed by the node it names. */
export function verifyAuditHead(head: SignedAuditHead): boolean {
  const key = publicKeyForNodeId(head.node);
  const sig = Buffer.from(head.sig, 'base64');
  if (key === undefined || sig.length !== 64) return false;
  const unsigned = { at: head.at, hash: head.hash, node: head.node, seq: head.seq };
  try {
    return verify(null, Buffer.concat([HEAD_DOMAIN, canonicalBytes(unsigned)]), key, sig);
  } catch {
    return false;
  }
}

/** Parses and checks a head from anywhere; throws {@link InvalidAuditRecordError}. */
export function checkAuditHead(input: unknown): SignedAuditHead {
  const parsed = auditHeadSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidAuditRecordError('malformed', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`);
  }
  if (!verifyAuditHead(parsed.data)) {
    throw new InvalidAuditRecordError(
      'bad_signature',
      `head ${parsed.data.seq} not signed by ${parsed.data.node}`,
    );
  }
  return parsed.data;
}
