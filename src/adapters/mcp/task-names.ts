/**
 * A task's bzzz:// names as MCP resource URIs (SPEC §13):
 * `bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>`, agent and role a name or `*`, path
 * `log`, `diff`, `thread` (or another artifact the name service knows). The forge is not in
 * the name: it is the node's own, so `demo~app:3` on a local forge is `local:demo/app#3`.
 * Parsed by hand rather than as a URL: a task number is not a port (it may pass 65535).
 */
import { formatTaskKey, parseTaskKey } from '../../protocol/task-key.js';
import { InvalidTaskNameError } from './errors.js';

/** The resource template (RFC 6570) of a task's artifacts. */
export const TASK_NAME_TEMPLATE = 'bzzz://{agent}:{role}@{owner}~{repo}:{number}/{+path}';

/** The artifacts every task has a name for. */
export const TASK_ARTIFACTS = ['log', 'diff', 'thread'] as const;

/** A parsed task name. */
export interface TaskName {
  /** The task key on the node's forge. */
  key: string;
  agent: string;
  role: string;
  path: string;
}

const NAME = /^bzzz:\/\/([^\s:@/]+):([^\s:@/]+)@([^\s~:@/]+)~([^\s~:@/]+):([1-9][0-9]{0,15})\/(\S+)$/;
const WHO = /^(?:\*|[A-Za-z0-9][A-Za-z0-9._-]{0,99})$/;

/** Parses `uri` on a node whose forge is `forge`; throws {@link InvalidTaskNameError}. */
export function parseTaskName(uri: string, forge: string): TaskName {
  if (uri.length > 2048) throw new InvalidTaskNameError(uri, 'longer than 2048 characters');
  const match = NAME.exec(uri);
  if (match === null)
    throw new InvalidTaskNameError(uri, 'expected bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>');
  const [, agent, role, owner, repo, number, path] = match as unknown as string[];
  if (!WHO.test(agent!) || !WHO.test(role!))
    throw new InvalidTaskNameError(uri, 'agent and role are names or *');
  if (path!.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'))
    throw new InvalidTaskNameError(uri, 'empty or dot segment in the path');
  let key: string;
  try {
    key = formatTaskKey({ forge, owner: owner!, repo: repo!, number: Number(number) });
  } catch (error) {
    throw new InvalidTaskNameError(uri, error instanceof Error ? error.message : String(error));
  }
  return { key, agent: agent!, role: role!, path: path! };
}

/** The name of a task's artifact, any agent and role unless given. */
export function taskNameUri(key: string, path: string, agent = '*', role = '*'): string {
  const { owner, repo, number } = parseTaskKey(key);
  return `bzzz://${agent}:${role}@${owner}~${repo}:${number}/${path}`;
}
