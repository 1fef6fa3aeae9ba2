/**
 * One node of a task's HMMM thread (SPEC §13, issue 16): a help request, an answer, an
 * escalation, a plan proposal, a plan review or a plan's outcome, stored as a blob of
 * canonical JSON in the content store and linked to its parent node(s) by their BLAKE3 hashes.
 * The thread's head is its newest node; concurrent heads merge when the next node lists all
 * of them as parents. Bytes read back (possibly from another node) are parsed here before any
 * code trusts them: a node that is not JSON or does not match its schema is a
 * {@link ThreadNodeError}.
 */
import { z } from 'zod';
import { BzzzError } from '../lib/errors.js';
import { canonicalJson } from './canonical.js';
import { nameField, nodeIdField, taskKeyField, textField, timestampField, ulidField } from './fields.js';

/** Parents a node may name (a merge of this many concurrent heads at most). */
export const MAX_THREAD_PARENTS = 32;
/** Largest encoded node read back, in bytes. */
export const MAX_THREAD_NODE_BYTES = 256 * 1024;
/** Reviews an outcome may list. */
export const MAX_OUTCOME_REVIEWS = 32;

/** A BLAKE3-256 hash, lower-case hex: a node's address and its parents'. */
export const threadHashField = z.string().regex(/^[0-9a-f]{64}$/, 'expected a BLAKE3-256 hex digest');

/** What a node records, by kind. */
export const THREAD_NODE_KINDS = [
  'help_request',
  'help_response',
  'escalation',
  'plan_proposal',
  'plan_review',
  'plan_outcome',
] as const;
export type ThreadNodeKind = (typeof THREAD_NODE_KINDS)[number];

/** A reviewer's verdict on a plan. */
export const planVerdictField = z.enum(['approve', 'suggest']);
export type PlanVerdict = z.infer<typeof planVerdictField>;

/** How a plan's review ended. */
export const PLAN_OUTCOMES = ['approved', 'suggestions_taken', 'alone', 'escalated'] as const;
export type PlanOutcome = (typeof PLAN_OUTCOMES)[number];

/** One review as the outcome lists it. */
export const reviewSummarySchema = z.object({
  from: nameField,
  reason: textField,
  verdict: planVerdictField,
});
export type ReviewSummary = z.infer<typeof reviewSummarySchema>;

/** The body of each kind of node. */
export const threadBodySchemas = {
  help_request: z.object({ question: textField.min(1), request: ulidField }),
  help_response: z.object({ answer: textField.min(1), request: ulidField }),
  escalation: z.object({ reason: textField.min(1) }),
  plan_proposal: z.object({ plan: textField.min(1), proposal: ulidField }),
  plan_review: z.object({ proposal: ulidField, reason: textField, verdict: planVerdictField }),
  plan_outcome: z.object({
    detail: textField.optional(),
    outcome: z.enum(PLAN_OUTCOMES),
    proposal: ulidField.optional(),
    reviews: z.array(reviewSummarySchema).max(MAX_OUTCOME_REVIEWS),
  }),
} as const satisfies Record<ThreadNodeKind, z.ZodType>;

/** The body a node of kind `K` carries. */
export type ThreadBody<K extends ThreadNodeKind> = z.infer<(typeof threadBodySchemas)[K]>;

/** Who wrote a node: the node id and the agent (or advisor) name. */
export const threadAuthorSchema = z.object({ agent: nameField.optional(), node: nodeIdField });
export type ThreadAuthor = z.infer<typeof threadAuthorSchema>;

const common = {
  /** When it was written (RFC 3339). */
  at: timestampField,
  from: threadAuthorSchema,
  /** The hashes of the nodes it follows (empty: the thread's first node). */
  parents: z.array(threadHashField).max(MAX_THREAD_PARENTS),
  task: taskKeyField,
  v: z.literal(1),
};

function variant<K extends ThreadNodeKind>(kind: K) {
  return z.object({ ...common, body: threadBodySchemas[kind], kind: z.literal(kind) });
}

/** A thread node, discriminated by kind. */
export const threadNodeSchema = z.discriminatedUnion('kind', [
  variant('help_request'),
  variant('help_response'),
  variant('escalation'),
  variant('plan_proposal'),
  variant('plan_review'),
  variant('plan_outcome'),
]);

/** Any thread node. */
export type ThreadNode = z.infer<typeof threadNodeSchema>;

/** A thread node of kind `K`. */
export type ThreadNodeOf<K extends ThreadNodeKind> = Extract<ThreadNode, { kind: K }>;

/** Bytes that are not a thread node: not JSON, too large, or not of its schema. */
export class ThreadNodeError extends BzzzError {
  override readonly name = 'ThreadNodeError';
  constructor(
    readonly hash: string | undefined,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${hash === undefined ? 'thread node' : `thread node ${hash}`}: ${reason}`, {
      ...options,
      retryable: false,
    });
  }
}

/** Checks a node about to be written; throws {@link ThreadNodeError} naming the bad field. */
export function checkThreadNode(node: ThreadNode): ThreadNode {
  const parsed = threadNodeSchema.safeParse(node);
  if (!parsed.success) throw new ThreadNodeError(undefined, describeIssue(parsed.error));
  return parsed.data;
}

/** The canonical bytes of a node (what its hash addresses). */
export function encodeThreadNode(node: ThreadNode): Uint8Array {
  return new TextEncoder().encode(canonicalJson(checkThreadNode(node)));
}

/** Parses bytes read back as a node; throws {@link ThreadNodeError} with the node's hash. */
export function decodeThreadNode(bytes: Uint8Array, hash?: string): ThreadNode {
  if (bytes.byteLength > MAX_THREAD_NODE_BYTES)
    throw new ThreadNodeError(hash, `${bytes.byteLength} bytes, more than ${MAX_THREAD_NODE_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ThreadNodeError(hash, 'not UTF-8 JSON', { cause: error });
  }
  const parsed = threadNodeSchema.safeParse(value);
  if (!parsed.success) throw new ThreadNodeError(hash, describeIssue(parsed.error));
  return parsed.data;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.length === 0 ? '(root)' : issue.path.join('.');
  return `${path}: ${issue.message}`;
}
