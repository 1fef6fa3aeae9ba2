/**
 * What actors send each other. A message is a tagged object; its `type` is the XState event
 * type when the receiver is an XState actor. The same shape crosses NATS unchanged (inside
 * the signed envelope's `actor_message`, whose wire data is the protocol's `ActorMessage`), so
 * nothing in it may be a function or a class.
 */

/**
 * Where an actor is, as the actor system writes it: a local actor path (`root/work/tasks/t1`)
 * or a remote address (`bzzz://<node id>/<path>`). The protocol's `Address` is the parsed form.
 */
export type ActorAddress = string;

/** A message in an actor's mailbox. */
export interface MailboxMessage<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data?: D;
  /** The sender's address, when the sender is an actor. */
  readonly from?: ActorAddress;
  /** Where a reply goes (set by `ask`). */
  readonly replyTo?: ActorAddress;
  /** Correlates a reply with its request. */
  readonly corr?: string;
}

/** A reply to an `ask`: either `data` or an `error` that the asker rethrows. */
export interface ReplyMessage<D = unknown> extends MailboxMessage<'bzzz.reply', D> {
  readonly corr: string;
  readonly error?: { readonly name: string; readonly message: string };
}

/** The event an actor receives when its supervisor asks it to stop gracefully. */
export const STOP_EVENT = 'bzzz.stop' as const;

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_:#.@=+-]*$/;

/** True for a valid path segment: no slash, no whitespace, no NATS wildcard. */
export function isValidSegment(segment: string): boolean {
  return segment.length > 0 && segment.length <= 200 && SEGMENT.test(segment) && !segment.includes('..');
}

/** Joins a parent path and a child id. */
export function childPath(parent: string, id: string): string {
  return parent === '' ? id : `${parent}/${id}`;
}
