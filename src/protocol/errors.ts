/**
 * The errors of the protocol layer. Each says what was wrong with which input; none of them is
 * worth retrying, since the same input fails the same way. Receipt of messages never throws
 * (see `decodeEnvelope`): these are for local callers formatting or parsing names.
 */
import { BzzzError } from '../lib/errors.js';

/** Cuts hostile input to a loggable size. */
function excerpt(input: string): string {
  return JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}…` : input);
}

/** A string that is not a valid node id (libp2p Ed25519 peer id). */
export class InvalidNodeIdError extends BzzzError {
  override readonly name = 'InvalidNodeIdError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid node id ${excerpt(input)}: ${reason}`, { retryable: false });
  }
}

/** A string that is not a valid `bzzz://<node id>/<path>` address, or a bad path segment. */
export class InvalidAddressError extends BzzzError {
  override readonly name = 'InvalidAddressError';
  constructor(
    readonly input: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`invalid address ${excerpt(input)}: ${reason}`, { ...options, retryable: false });
  }
}

/** A cluster name, subject or topic that cannot be used on the wire. */
export class InvalidSubjectError extends BzzzError {
  override readonly name = 'InvalidSubjectError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid subject ${excerpt(input)}: ${reason}`, { retryable: false });
  }
}

/** A value that has no canonical encoding (not JSON: undefined in an array, NaN, a bigint...). */
export class CanonicalEncodingError extends BzzzError {
  override readonly name = 'CanonicalEncodingError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot encode value at ${path}: ${reason}`, { retryable: false });
  }
}

/** The node's identity key could not be read or created. */
export class IdentityError extends BzzzError {
  override readonly name = 'IdentityError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`identity key ${path}: ${reason}`, { ...options, retryable: false });
  }
}

/** A message that cannot be sent because it does not match its own schema. */
export class InvalidMessageError extends BzzzError {
  override readonly name = 'InvalidMessageError';
  constructor(
    readonly type: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`invalid ${type} message: ${reason}`, { ...options, retryable: false });
  }
}

/** What is wrong with a name record (`bzzz_name_records_rejected_total{reason}`). */
export type NameRecordProblem = 'malformed' | 'too_large' | 'wrong_key' | 'bad_signature';

/**
 * A name record that cannot be trusted: malformed, too large, for another name than its key,
 * or not signed by the node its name belongs to.
 */
export class InvalidNameRecordError extends BzzzError {
  override readonly name = 'InvalidNameRecordError';
  constructor(
    readonly problem: NameRecordProblem,
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`invalid name record (${problem}): ${detail}`, { ...options, retryable: false });
  }
}

/** What is wrong with an audit entry or head (issue 16). */
export type AuditRecordProblem = 'malformed' | 'too_large' | 'bad_signature';

/** An audit entry or chain head that cannot be trusted: malformed, too large, or not signed by its node. */
export class InvalidAuditRecordError extends BzzzError {
  override readonly name = 'InvalidAuditRecordError';
  constructor(
    readonly problem: AuditRecordProblem,
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`invalid audit record (${problem}): ${detail}`, { ...options, retryable: false });
  }
}
