/**
 * Channels and their NATS subjects (SPEC §7). A channel is what the code publishes to; its
 * subject comes from `src/protocol/subjects.ts`, so no subject is spelled twice. The reverse
 * mapping (subject → channel) is what a receiver trusts: a subject that maps to no channel of
 * this cluster is ignored, never guessed at.
 */
import {
  actorSubject,
  actorWildcard,
  coordinationSubject,
  decodeTaskKeyToken,
  hmmmSubject,
  hmmmTaskSubject,
  hmmmTaskWildcard,
  isTaskKey,
  parseActorSubject,
  type NodeId,
} from '../../protocol/index.js';
import type { Channel, ChannelPattern } from './types.js';

/** The subject of a channel; throws `InvalidSubjectError` for a bad cluster, key or address. */
export function subjectOf(cluster: string, channel: Channel): string {
  switch (channel.kind) {
    case 'coordination':
      return coordinationSubject(cluster);
    case 'hmmm':
      return hmmmSubject(cluster);
    case 'task':
      return hmmmTaskSubject(cluster, channel.task);
    case 'actor':
      return actorSubject(cluster, channel.address);
  }
}

/** The subject (possibly a wildcard) a subscription to `pattern` listens on. */
export function patternSubject(cluster: string, self: NodeId, pattern: ChannelPattern): string {
  switch (pattern.kind) {
    case 'tasks':
      return hmmmTaskWildcard(cluster);
    case 'mailbox':
      return actorWildcard(cluster, self);
    default:
      return subjectOf(cluster, pattern);
  }
}

/** The channel of a received subject, or `undefined` when it is none of this cluster's. */
export function channelOfSubject(cluster: string, subject: string): Channel | undefined {
  const prefix = `bzzz.${cluster}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const rest = subject.slice(prefix.length);
  if (rest === 'coordination') return { kind: 'coordination' };
  if (rest === 'hmmm') return { kind: 'hmmm' };
  if (rest.startsWith('hmmm.task.')) {
    const token = rest.slice('hmmm.task.'.length);
    if (token.includes('.')) return undefined;
    try {
      const task = decodeTaskKeyToken(token);
      return isTaskKey(task) ? { kind: 'task', task } : undefined;
    } catch {
      return undefined;
    }
  }
  if (rest.startsWith('actor.')) {
    const parsed = parseActorSubject(subject);
    return parsed?.cluster === cluster ? { kind: 'actor', address: parsed.address } : undefined;
  }
  return undefined;
}
