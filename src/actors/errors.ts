/** Errors of the actor system: each names the actor and says whether retrying can help. */
import { BzzzError } from '../lib/errors.js';

/** The target of a send or ask is unknown or has stopped: the message became a dead letter. */
export class DeadLetterError extends BzzzError {
  override readonly name = 'DeadLetterError';
  constructor(
    readonly address: string,
    readonly messageType: string,
  ) {
    super(`no actor at ${address} (message ${messageType} became a dead letter)`, { retryable: true });
  }
}

/** An ask got no reply in time. */
export class AskTimeoutError extends BzzzError {
  override readonly name = 'AskTimeoutError';
  constructor(
    readonly address: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply from ${address} to ${messageType} within ${timeoutMs} ms`, { retryable: true });
  }
}

/** The receiver's mailbox was full; the message was dropped (overflow policy: drop newest). */
export class MailboxFullError extends BzzzError {
  override readonly name = 'MailboxFullError';
  constructor(
    readonly address: string,
    readonly capacity: number,
  ) {
    super(`mailbox of ${address} is full (${capacity} messages); message dropped`, { retryable: true });
  }
}

/** The receiver answered an ask with an error. */
export class RemoteActorError extends BzzzError {
  override readonly name = 'RemoteActorError';
  constructor(
    readonly address: string,
    readonly remoteName: string,
    message: string,
  ) {
    super(`${address} replied with ${remoteName}: ${message}`, { retryable: false });
  }
}

/** An actor path that cannot be used (empty segment, wildcard, whitespace). */
export class InvalidAddressError extends BzzzError {
  override readonly name = 'InvalidAddressError';
  constructor(readonly address: string) {
    super(`invalid actor address ${JSON.stringify(address.slice(0, 200))}`, { retryable: false });
  }
}

/** An actor is already registered at this path. */
export class AddressInUseError extends BzzzError {
  override readonly name = 'AddressInUseError';
  constructor(readonly address: string) {
    super(`an actor is already registered at ${address}`, { retryable: false });
  }
}
