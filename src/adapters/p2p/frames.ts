/**
 * What the libp2p transport puts on the wire around an envelope, and how the bus subject of a
 * received message is rebuilt. The envelope bytes are never touched: the frame only says where
 * the message goes, as the NATS subject does.
 *
 * - Every gossipsub message opens with an 8-byte publication nonce, which makes each
 *   publication distinct (gossipsub's message id is the hash of the data; see options.ts).
 * - Coordination and HMMM messages are then the envelope bytes alone, on their topics.
 * - A task discussion message is then `<task key> LF <envelope>` on the one tasks topic.
 * - An actor mailbox frame (inside a length-prefixed `/bzzz/actor/1.0.0` stream to the node
 *   that owns the actor) is `<actor path tokens joined by '.'> LF <envelope>`: the tokens are
 *   those of the NATS subject, so the path is encoded and checked exactly as there.
 *
 * A receiver that cannot read a frame gets `undefined` and counts the message as rejected.
 */
import {
  COORDINATION_TOPIC,
  decodeTaskKeyToken,
  HMMM_TOPIC,
  hmmmTaskSubject,
  isTaskKey,
  TASKS_TOPIC,
  type NodeId,
} from '../../protocol/index.js';

const LF = 0x0a;
/** Bytes of the publication nonce that opens every gossipsub message. */
export const NONCE_BYTES = 8;
/** Longest header before the LF: a task key or an actor path, with room to spare. */
const MAX_HEADER = 4096;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Where a bus subject goes on libp2p. */
export type Route =
  | { kind: 'topic'; topic: string; header: string | undefined }
  | { kind: 'actor'; node: NodeId; header: string };

/** The route of a subject of `cluster`, or `undefined` when it is none of ours. */
export function routeOf(cluster: string, subject: string): Route | undefined {
  const prefix = `bzzz.${cluster}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const rest = subject.slice(prefix.length);
  if (rest === 'coordination') return { kind: 'topic', topic: COORDINATION_TOPIC, header: undefined };
  if (rest === 'hmmm') return { kind: 'topic', topic: HMMM_TOPIC, header: undefined };
  if (rest.startsWith('hmmm.task.')) {
    let key: string;
    try {
      key = decodeTaskKeyToken(rest.slice('hmmm.task.'.length));
    } catch {
      return undefined;
    }
    return isTaskKey(key) ? { kind: 'topic', topic: TASKS_TOPIC, header: key } : undefined;
  }
  if (rest.startsWith('actor.')) {
    const [node, ...path] = rest.slice('actor.'.length).split('.');
    if (node === undefined || path.length === 0) return undefined;
    return { kind: 'actor', node, header: path.join('.') };
  }
  return undefined;
}

/** The topic a subscription subject listens on (`undefined`: none, e.g. a mailbox wildcard). */
export function topicOfSubscription(cluster: string, subject: string): string | undefined {
  const prefix = `bzzz.${cluster}.`;
  if (subject === `${prefix}coordination`) return COORDINATION_TOPIC;
  if (subject === `${prefix}hmmm`) return HMMM_TOPIC;
  if (subject.startsWith(`${prefix}hmmm.task.`)) return TASKS_TOPIC;
  return undefined;
}

/** `header LF envelope`, or the envelope alone without a header. */
export function frame(header: string | undefined, envelope: Uint8Array): Uint8Array {
  if (header === undefined) return envelope;
  const head = encoder.encode(header);
  const out = new Uint8Array(head.length + 1 + envelope.length);
  out.set(head, 0);
  out[head.length] = LF;
  out.set(envelope, head.length + 1);
  return out;
}

/** The header and envelope of a framed message, or `undefined` when it has no readable header. */
export function unframe(bytes: Uint8Array): { header: string; envelope: Uint8Array } | undefined {
  const end = bytes.subarray(0, MAX_HEADER + 1).indexOf(LF);
  if (end <= 0) return undefined;
  let header: string;
  try {
    header = decoder.decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
  return { header, envelope: bytes.subarray(end + 1) };
}

/** A gossipsub message: the publication's nonce, then the frame of {@link frame}. */
export function topicMessage(nonce: bigint, header: string | undefined, envelope: Uint8Array): Uint8Array {
  const head = header === undefined ? undefined : encoder.encode(header);
  const length = NONCE_BYTES + (head === undefined ? 0 : head.length + 1) + envelope.length;
  const out = new Uint8Array(length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, nonce));
  let at = NONCE_BYTES;
  if (head !== undefined) {
    out.set(head, at);
    out[at + head.length] = LF;
    at += head.length + 1;
  }
  out.set(envelope, at);
  return out;
}

/** The bus subject of a message received on a topic, or `undefined` when its frame is bad. */
export function subjectOfTopicMessage(
  cluster: string,
  topic: string,
  message: Uint8Array,
): { subject: string; envelope: Uint8Array } | undefined {
  if (message.length <= NONCE_BYTES) return undefined;
  const data = message.subarray(NONCE_BYTES);
  if (topic === COORDINATION_TOPIC) return { subject: `bzzz.${cluster}.coordination`, envelope: data };
  if (topic === HMMM_TOPIC) return { subject: `bzzz.${cluster}.hmmm`, envelope: data };
  if (topic !== TASKS_TOPIC) return undefined;
  const framed = unframe(data);
  if (framed === undefined || !isTaskKey(framed.header)) return undefined;
  return { subject: hmmmTaskSubject(cluster, framed.header), envelope: framed.envelope };
}

/** The bus subject of an actor frame received by node `self`, or `undefined` when it is bad. */
export function subjectOfActorFrame(
  cluster: string,
  self: NodeId,
  bytes: Uint8Array,
): { subject: string; envelope: Uint8Array } | undefined {
  const framed = unframe(bytes);
  if (framed === undefined || /[\s*>]/.test(framed.header)) return undefined;
  return { subject: `bzzz.${cluster}.actor.${self}.${framed.header}`, envelope: framed.envelope };
}
