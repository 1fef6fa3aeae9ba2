/**
 * The bzzz:// grammar (SPEC §13), one parser for the three kinds of address:
 *
 * ```
 * bzzz://<node id>/<actor path>                              an actor
 * bzzz://blob/<blake3-256 hex>                               a blob of the content store
 * bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>       a task's semantic name
 * ```
 *
 * `agent` is a node or agent name or `*`, `role` a capability or `*`; `owner`, `repo` and
 * `number` name the task as the forge does (`demo~calc:1` is issue 1 of `demo/calc`), and
 * `path` is `log`, `diff`, `thread`, `pr`, `audit`, or a file path of the task's result tree,
 * its segments percent-encoded like an actor path's (`address.ts`). A blob hash is written in
 * lower-case hex only, so every address has one spelling and `format(parse(x)) === x` for the
 * canonical text. A malformed address throws {@link InvalidBzzzUrlError}, whose `part` says
 * which part is wrong.
 */
import { ADDRESS_SCHEME, formatActorPath, parseActorPath } from './address.js';
import { BzzzError } from '../lib/errors.js';
import { InvalidAddressError } from './errors.js';
import { MAX_ADDRESS } from './limits.js';
import { isNodeId, type NodeId } from './node-id.js';

/** The part of an address a parse error is about. */
export type BzzzUrlPart =
  'address' | 'scheme' | 'node' | 'hash' | 'agent' | 'role' | 'owner' | 'repo' | 'number' | 'path';

/** An address that breaks the bzzz:// grammar; `part` names the first wrong part. */
export class InvalidBzzzUrlError extends BzzzError {
  override readonly name = 'InvalidBzzzUrlError';
  constructor(
    readonly input: string,
    readonly part: BzzzUrlPart,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    const shown = JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}…` : input);
    super(`invalid bzzz:// address ${shown}: ${part}: ${reason}`, { ...options, retryable: false });
  }
}

/** The paths every task's name has besides the files of its result tree. */
export const TASK_NAME_PATHS = ['log', 'diff', 'thread', 'pr', 'audit'] as const;
export type TaskNamePath = (typeof TASK_NAME_PATHS)[number];

export interface ActorUrl {
  kind: 'actor';
  node: NodeId;
  path: string[];
}

export interface BlobUrl {
  kind: 'blob';
  /** BLAKE3-256, 64 lower-case hex digits. */
  hash: string;
}

export interface NameUrl {
  kind: 'name';
  /** A node or agent name, or `*`. */
  agent: string;
  /** A capability, or `*`. */
  role: string;
  owner: string;
  repo: string;
  number: number;
  /** `log`, `diff`, `thread`, `pr`, `audit`, or a file path's segments. */
  path: string[];
}

/** A parsed bzzz:// address. */
export type BzzzUrl = ActorUrl | BlobUrl | NameUrl;

/** A wildcard or a name: letters, digits, then `.`, `_`, `-`, up to 64 characters. */
const AGENT = /^(?:\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;
/** A wildcard or a capability (`typescript`, `c++`, `ci.lint`). */
const ROLE = /^(?:\*|[A-Za-z0-9][A-Za-z0-9._+-]{0,63})$/;
/** An owner or repository as task keys hold them (`task-key.ts`). */
const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NUMBER = /^[1-9][0-9]{0,15}$/;
const HASH = /^[0-9a-f]{64}$/;
const BLOB_PREFIX = 'blob/';

/** Parses any bzzz:// address; throws {@link InvalidBzzzUrlError} naming the wrong part. */
export function parseBzzzUrl(text: string): BzzzUrl {
  if (typeof text !== 'string' || text.length === 0)
    throw new InvalidBzzzUrlError(typeof text === 'string' ? text : '', 'address', 'empty');
  if (text.length > MAX_ADDRESS)
    throw new InvalidBzzzUrlError(text, 'address', `longer than ${MAX_ADDRESS} characters`);
  if (!text.startsWith(ADDRESS_SCHEME))
    throw new InvalidBzzzUrlError(text, 'scheme', `expected ${ADDRESS_SCHEME}`);
  const rest = text.slice(ADDRESS_SCHEME.length);
  if (rest.startsWith(BLOB_PREFIX)) return parseBlob(text, rest.slice(BLOB_PREFIX.length));
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  if (authority.includes('@'))
    return parseName(text, authority, slash < 0 ? undefined : rest.slice(slash + 1));
  return parseActor(text, authority, slash < 0 ? undefined : rest.slice(slash + 1));
}

/** Like {@link parseBzzzUrl}, but `undefined` instead of an error. */
export function tryParseBzzzUrl(text: string): BzzzUrl | undefined {
  try {
    return parseBzzzUrl(text);
  } catch {
    return undefined;
  }
}

function parseBlob(text: string, hash: string): BlobUrl {
  if (hash.length === 0) throw new InvalidBzzzUrlError(text, 'hash', 'missing after bzzz://blob/');
  if (/^[0-9A-Fa-f]{64}$/.test(hash) && !HASH.test(hash))
    throw new InvalidBzzzUrlError(text, 'hash', 'hex digits must be lower-case');
  if (!HASH.test(hash)) throw new InvalidBzzzUrlError(text, 'hash', 'expected 64 hex digits (BLAKE3-256)');
  return { kind: 'blob', hash };
}

function parseActor(text: string, node: string, path: string | undefined): ActorUrl {
  if (node.length === 0) throw new InvalidBzzzUrlError(text, 'node', 'missing node id');
  if (!isNodeId(node)) throw new InvalidBzzzUrlError(text, 'node', 'not a node id');
  if (path === undefined || path.length === 0)
    throw new InvalidBzzzUrlError(text, 'path', 'no actor path after the node id');
  return { kind: 'actor', node, path: parsePath(text, path) };
}

function parseName(text: string, authority: string, path: string | undefined): NameUrl {
  const at = authority.indexOf('@');
  const who = authority.slice(0, at);
  const task = authority.slice(at + 1);
  const colon = who.indexOf(':');
  if (colon < 0) throw new InvalidBzzzUrlError(text, 'role', 'expected <agent>:<role> before @');
  const agent = who.slice(0, colon);
  const role = who.slice(colon + 1);
  if (!AGENT.test(agent)) throw new InvalidBzzzUrlError(text, 'agent', 'expected * or a name');
  if (!ROLE.test(role)) throw new InvalidBzzzUrlError(text, 'role', 'expected * or a capability');
  const tilde = task.indexOf('~');
  if (tilde < 0) throw new InvalidBzzzUrlError(text, 'repo', 'expected <owner>~<repo>:<number> after @');
  const owner = task.slice(0, tilde);
  const repoAndNumber = task.slice(tilde + 1);
  const numberColon = repoAndNumber.lastIndexOf(':');
  if (!REPO_NAME.test(owner)) throw new InvalidBzzzUrlError(text, 'owner', 'not an owner name');
  if (numberColon < 0)
    throw new InvalidBzzzUrlError(text, 'number', 'expected :<number> after the repository');
  const repo = repoAndNumber.slice(0, numberColon);
  const digits = repoAndNumber.slice(numberColon + 1);
  if (!REPO_NAME.test(repo)) throw new InvalidBzzzUrlError(text, 'repo', 'not a repository name');
  if (!NUMBER.test(digits) || !Number.isSafeInteger(Number(digits)))
    throw new InvalidBzzzUrlError(text, 'number', 'expected a positive issue number');
  if (path === undefined || path.length === 0)
    throw new InvalidBzzzUrlError(text, 'path', `expected /<path>: ${TASK_NAME_PATHS.join(', ')} or a file`);
  return { kind: 'name', agent, role, owner, repo, number: Number(digits), path: parsePath(text, path) };
}

function parsePath(text: string, path: string): string[] {
  try {
    return parseActorPath(path);
  } catch (error) {
    const reason = error instanceof InvalidAddressError ? error.reason : 'bad path';
    throw new InvalidBzzzUrlError(text, 'path', reason, { cause: error });
  }
}

/** Formats an address in its canonical spelling; throws {@link InvalidBzzzUrlError} on a bad part. */
export function formatBzzzUrl(url: BzzzUrl): string {
  const text = formatUnchecked(url);
  // one grammar: what is written is what parses, so the parser checks every part
  const parsed = parseBzzzUrl(text);
  if (parsed.kind !== url.kind)
    throw new InvalidBzzzUrlError(text, 'address', 'parts do not form one address');
  return text;
}

function formatUnchecked(url: BzzzUrl): string {
  switch (url.kind) {
    case 'blob':
      return `${ADDRESS_SCHEME}${BLOB_PREFIX}${url.hash}`;
    case 'actor':
      return `${ADDRESS_SCHEME}${url.node}/${pathText(url.node, url.path)}`;
    case 'name':
      return `${ADDRESS_SCHEME}${url.agent}:${url.role}@${url.owner}~${url.repo}:${url.number}/${pathText(url.agent, url.path)}`;
  }
}

function pathText(input: string, path: readonly string[]): string {
  try {
    return formatActorPath(path);
  } catch (error) {
    const reason = error instanceof InvalidAddressError ? error.reason : 'bad path';
    throw new InvalidBzzzUrlError(input, 'path', reason, { cause: error });
  }
}

/** The kind of thing a task name's path names. */
export function taskNamePath(path: readonly string[]): TaskNamePath | 'file' {
  const [first] = path;
  if (path.length === 1 && (TASK_NAME_PATHS as readonly string[]).includes(first ?? ''))
    return first as TaskNamePath;
  return 'file';
}

/** `<owner>~<repo>:<number>`: the task part of a semantic name (also the resolver's shortcut). */
export function taskNameId(name: Pick<NameUrl, 'owner' | 'repo' | 'number'>): string {
  return `${name.owner}~${name.repo}:${name.number}`;
}

/** The task part of a task key (`local:demo/calc#1` → `demo~calc:1`), or undefined for another string. */
export function taskNameIdOfKey(key: string): string | undefined {
  const m = /^[a-z][a-z0-9-]{0,31}:([^/#\s]+)\/([^/#\s]+)#([1-9][0-9]{0,15})$/.exec(key);
  if (m === null) return undefined;
  const [, owner, repo, number] = m as unknown as [string, string, string, string];
  return REPO_NAME.test(owner) && REPO_NAME.test(repo) ? `${owner}~${repo}:${number}` : undefined;
}

/** Parses `<owner>~<repo>:<number>`; throws {@link InvalidBzzzUrlError}. */
export function parseTaskNameId(text: string): Pick<NameUrl, 'owner' | 'repo' | 'number'> {
  const url = parseBzzzUrl(`${ADDRESS_SCHEME}*:*@${text}/log`);
  if (url.kind !== 'name') throw new InvalidBzzzUrlError(text, 'address', 'not <owner>~<repo>:<number>');
  return { owner: url.owner, repo: url.repo, number: url.number };
}
