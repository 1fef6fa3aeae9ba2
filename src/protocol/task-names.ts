/**
 * A task's name records (issue 16): which path of the publishing node's names each artifact
 * of a task has, and what the record's value holds.
 *
 * A node that worked on a task publishes, for each artifact, the signed name record
 * `bzzz://<node id>/tasks/<owner>~<repo>:<number>/<artifact>` (name-record.ts), whose value is
 * the canonical JSON of a {@link TaskNameValue}:
 *
 * ```
 * {"agent":"n1","hash":"<blake3 hex>","node":"n1","roles":["shell"],"size":812,"task":"local:demo/calc#1","v":1}
 * {"agent":"n1","node":"n1","roles":[],"task":"local:demo/calc#1","url":"https://…/pull/7","v":1}
 * ```
 *
 * `hash` and `size` for a blob (the transcript, the diff, the result tree's manifest, the
 * thread's head, the audit entries), `url` for the pull request; `agent` is the agent that
 * worked on the task, `node` the publishing node's name and `roles` its capabilities (cut
 * from the end when the value would pass {@link MAX_NAME_VALUE}). The task key keeps the forge
 * the name id (`owner~repo:n`) leaves out.
 */
import { z } from 'zod';
import { ADDRESS_SCHEME } from './address.js';
import { taskNameId, tryParseBzzzUrl } from './bzzz-url.js';
import { canonicalJson } from './canonical.js';
import { InvalidNameRecordError } from './errors.js';
import { MAX_NAME_VALUE } from './name-record.js';
import { isTaskKey } from './task-key.js';

/** The artifacts a task's records name: the paths of issue 16 and the result tree's manifest. */
export const TASK_ARTIFACTS = ['log', 'diff', 'tree', 'pr', 'thread', 'audit'] as const;
export type TaskArtifact = (typeof TASK_ARTIFACTS)[number];

/** The first segment of every task name's path. */
export const TASK_NAMES_SEGMENT = 'tasks';

/** What a task's name record points at, and who made it. */
export const taskNameValueSchema = z
  .strictObject({
    v: z.literal(1),
    task: z.string().max(300).refine(isTaskKey, 'not a task key'),
    agent: z.string().min(1).max(100),
    node: z.string().min(1).max(100),
    roles: z.array(z.string().min(1).max(64)).max(64),
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'not a BLAKE3 hex hash')
      .optional(),
    size: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    url: z.string().min(1).max(1024).optional(),
  })
  .refine((value) => (value.hash === undefined) !== (value.url === undefined), 'exactly one of hash and url')
  .refine((value) => value.size === undefined || value.hash !== undefined, 'a size needs a hash');

export type TaskNameValue = z.infer<typeof taskNameValueSchema>;

/** `true` for `<owner>~<repo>:<number>` in its one spelling (the grammar of bzzz-url.ts). */
export function isTaskNameId(text: string): boolean {
  const parsed = tryParseBzzzUrl(`${ADDRESS_SCHEME}*:*@${text}/log`);
  return parsed?.kind === 'name' && taskNameId(parsed) === text;
}

/** The path of a task's artifact among the publishing node's names. */
export function taskRecordPath(nameId: string, artifact: TaskArtifact): string[] {
  return [TASK_NAMES_SEGMENT, nameId, artifact];
}

/** The task name id and artifact a record's path names, or undefined for another path. */
export function parseTaskRecordPath(
  path: readonly string[],
): { nameId: string; artifact: TaskArtifact } | undefined {
  const [first, nameId, artifact] = path;
  if (path.length !== 3 || first !== TASK_NAMES_SEGMENT || nameId === undefined || !isTaskNameId(nameId))
    return undefined;
  if (!(TASK_ARTIFACTS as readonly string[]).includes(artifact ?? '')) return undefined;
  return { nameId, artifact: artifact as TaskArtifact };
}

/**
 * The value's text (canonical JSON), dropping roles from the end until it fits
 * {@link MAX_NAME_VALUE}; throws {@link InvalidNameRecordError} when it cannot.
 */
export function encodeTaskNameValue(value: TaskNameValue): string {
  const checked = taskNameValueSchema.safeParse(value);
  if (!checked.success)
    throw new InvalidNameRecordError(
      'malformed',
      `task name value: ${checked.error.issues[0]?.message ?? ''}`,
    );
  const roles = [...value.roles];
  for (;;) {
    const text = canonicalJson({ ...value, roles });
    if (text.length <= MAX_NAME_VALUE) return text;
    if (roles.length === 0) throw new InvalidNameRecordError('too_large', 'task name value too long');
    roles.pop();
  }
}

/** The value of a task's name record; throws {@link InvalidNameRecordError} (`malformed`). */
export function decodeTaskNameValue(text: string): TaskNameValue {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new InvalidNameRecordError('malformed', 'task name value is not JSON', { cause: error });
  }
  const parsed = taskNameValueSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidNameRecordError(
      'malformed',
      `task name value: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}
