/**
 * The content store's errors. Each says whether retrying can help: a corrupt blob or a bad
 * hash string stays so; a full disk or a busy index may not.
 */
import { BzzzError } from '../../lib/errors.js';

/** The base of every content store error. */
export class CasError extends BzzzError {
  override readonly name: string = 'CasError';
}

/** A string that is not a BLAKE3-256 hash (64 hex digits). */
export class BadHashError extends CasError {
  override readonly name = 'BadHashError';
  constructor(readonly input: string) {
    super(`not a blob hash (64 hex digits): ${JSON.stringify(input.slice(0, 80))}`, { retryable: false });
  }
}

/** The store does not hold the blob. */
export class BlobNotFoundError extends CasError {
  override readonly name = 'BlobNotFoundError';
  constructor(readonly hash: string) {
    super(`no blob ${hash}`, { retryable: false });
  }
}

/** The bytes on disk do not hash to the blob's address; the blob was quarantined. */
export class CorruptBlobError extends CasError {
  override readonly name = 'CorruptBlobError';
  constructor(
    readonly hash: string,
    readonly actual: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(`blob ${hash} is corrupt${actual === undefined ? '' : ` (its bytes hash to ${actual})`}`, {
      ...options,
      retryable: false,
    });
  }
}

/** Bytes given to `putVerified` (a fetch from a peer) do not hash to the expected address. */
export class HashMismatchError extends CasError {
  override readonly name = 'HashMismatchError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`expected blob ${expected}, got bytes hashing to ${actual}`, { retryable: true });
  }
}

/** The disk (or its quota) is full: the put was abandoned and nothing partial is visible. */
export class StoreFullError extends CasError {
  override readonly name = 'StoreFullError';
  constructor(
    readonly path: string,
    options: { cause?: unknown } = {},
  ) {
    super(`no space left for the content store at ${path}`, { ...options, retryable: true });
  }
}

/** The store is stopped (or was never started). */
export class StoreClosedError extends CasError {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('the content store is not open', { retryable: false });
  }
}

/** A file system or index operation failed for another reason. */
export class CasIoError extends CasError {
  override readonly name = 'CasIoError';
  constructor(
    readonly operation: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    const cause = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`content store ${operation} failed${cause}`, options);
  }
}
