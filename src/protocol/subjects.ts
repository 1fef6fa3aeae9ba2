/**
 * Every NATS subject, gossipsub topic and KV name bzzz uses, in one place (SPEC §7, §8).
 *
 * Subjects are built from validated parts only: a cluster name is `[A-Za-z0-9_-]`, a node id is
 * base58, and every task key or actor path segment goes through the reversible token encoding
 * of `token.ts`. So no subject we build can hold a wildcard (`*`, `>`), a space or an empty
 * token, whatever a peer or a task title contains, and each actor subject maps back to exactly
 * one address.
 */
import { type Address, assertActorPath } from './address.js';
import { InvalidSubjectError } from './errors.js';
import { MAX_PATH_SEGMENTS } from './limits.js';
import { isNodeId, type NodeId } from './node-id.js';
import { encodeTaskKeyToken, isTaskKey, type TaskKey } from './task-key.js';
import { decodeToken, encodeToken } from './token.js';

const CLUSTER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** gossipsub topic of coordination broadcasts. */
export const COORDINATION_TOPIC = 'bzzz/coordination/v1';
/** gossipsub topic of the HMMM meta-discussion. */
export const HMMM_TOPIC = 'hmmm/meta-discussion/v1';
/**
 * gossipsub topic that carries every task's discussion, each message framed with its task key
 * (gossipsub has no wildcard subscription, and every node follows every task's discussion).
 */
export const TASKS_TOPIC = 'bzzz/meta/tasks/v1';
/** libp2p protocol of actor mailbox streams. */
export const ACTOR_PROTOCOL = '/bzzz/actor/1.0.0';
/** libp2p protocol on which a node answers its status document (`bzzz status` on libp2p). */
export const STATUS_PROTOCOL = '/bzzz/status/1.0.0';
/** libp2p protocol of content-store blob transfers (SPEC §13). */
export const BLOB_PROTOCOL = '/bzzz/blob/1.0.0';
/** Name of the NATS micro service every node registers. */
export const SERVICE_NAME = 'bzzz';
/** Key of the leader lease in the claims bucket (never a task key token: those hold `_3A`). */
export const LEADER_KEY = 'leader';

const TASK_TOPIC_PREFIX = 'bzzz/meta/task/';

/** True when `cluster` can be used in subjects and bucket names. */
export function isClusterName(cluster: string): boolean {
  return CLUSTER.test(cluster);
}

/** Checks a cluster name; throws {@link InvalidSubjectError}. */
export function assertClusterName(cluster: string): void {
  if (!CLUSTER.test(cluster)) {
    throw new InvalidSubjectError(
      cluster,
      'a cluster name is 1-64 of [A-Za-z0-9_-], starting with a letter or digit',
    );
  }
}

function assertTaskKey(key: TaskKey): void {
  if (!isTaskKey(key)) throw new InvalidSubjectError(key, 'not a task key');
}

/** `bzzz.<cluster>.blob.<node id>`: where a node answers requests for chunks of its blobs. */
export function blobSubject(cluster: string, node: NodeId): string {
  assertClusterName(cluster);
  if (!isNodeId(node)) throw new InvalidSubjectError(node, 'not a node id');
  return `bzzz.${cluster}.blob.${node}`;
}

/** `bzzz.<cluster>.coordination`: coordination broadcasts. */
export function coordinationSubject(cluster: string): string {
  assertClusterName(cluster);
  return `bzzz.${cluster}.coordination`;
}

/** `bzzz.<cluster>.hmmm`: the meta-discussion channel. */
export function hmmmSubject(cluster: string): string {
  assertClusterName(cluster);
  return `bzzz.${cluster}.hmmm`;
}

/** `bzzz.<cluster>.hmmm.task.<encoded task key>`: one task's discussion. */
export function hmmmTaskSubject(cluster: string, key: TaskKey): string {
  assertClusterName(cluster);
  assertTaskKey(key);
  return `bzzz.${cluster}.hmmm.task.${encodeTaskKeyToken(key)}`;
}

/** `bzzz.<cluster>.hmmm.task.*`: every task's discussion. */
export function hmmmTaskWildcard(cluster: string): string {
  assertClusterName(cluster);
  return `bzzz.${cluster}.hmmm.task.*`;
}

/** `bzzz/meta/task/<task key>`: one task's gossipsub topic (topics are opaque strings). */
export function taskTopic(key: TaskKey): string {
  assertTaskKey(key);
  return `${TASK_TOPIC_PREFIX}${key}`;
}

/** The task key of a task topic, or `undefined` when `topic` is not one. */
export function taskKeyOfTopic(topic: string): TaskKey | undefined {
  if (!topic.startsWith(TASK_TOPIC_PREFIX)) return undefined;
  const key = topic.slice(TASK_TOPIC_PREFIX.length);
  return isTaskKey(key) ? key : undefined;
}

/** `bzzz.<cluster>.actor.<node id>.<path tokens>`: an actor's mailbox. */
export function actorSubject(cluster: string, address: Address): string {
  assertClusterName(cluster);
  if (!isNodeId(address.node)) throw new InvalidSubjectError(address.node, 'not a node id');
  assertActorPath(address.path);
  return `bzzz.${cluster}.actor.${address.node}.${address.path.map(encodeToken).join('.')}`;
}

/** `bzzz.<cluster>.actor.<node id>.>`: every actor mailbox of one node. */
export function actorWildcard(cluster: string, node: NodeId): string {
  assertClusterName(cluster);
  if (!isNodeId(node)) throw new InvalidSubjectError(node, 'not a node id');
  return `bzzz.${cluster}.actor.${node}.>`;
}

/** The cluster and address of an actor subject, or `undefined` when `subject` is not one. */
export function parseActorSubject(subject: string): { cluster: string; address: Address } | undefined {
  const tokens = subject.split('.');
  if (tokens.length < 5 || tokens.length > 4 + MAX_PATH_SEGMENTS) return undefined;
  const [bzzz, cluster, actor, node] = tokens as [string, string, string, string];
  if (bzzz !== 'bzzz' || actor !== 'actor' || !CLUSTER.test(cluster) || !isNodeId(node)) return undefined;
  const path: string[] = [];
  for (const token of tokens.slice(4)) {
    const segment = decodeToken(token);
    if (segment === undefined) return undefined;
    path.push(segment);
  }
  try {
    assertActorPath(path);
  } catch {
    return undefined;
  }
  return { cluster, address: { node, path } };
}

/** `bzzz-<cluster>-claims`: the JetStream KV bucket of task claims and the leader lease. */
export function claimsBucket(cluster: string): string {
  assertClusterName(cluster);
  return `bzzz-${cluster}-claims`;
}

/** The key of a task's claim in the claims bucket. */
export function claimKey(key: TaskKey): string {
  assertTaskKey(key);
  return encodeTaskKeyToken(key);
}
