/** Named errors of the blob transfer port. */
import { BzzzError } from '../../lib/errors.js';

/** Why a fetch from one holder failed; the replicator tries the next holder for any of them. */
export type BlobTransferFailure =
  /** The holder answered that it does not hold the blob (or not a good copy of it). */
  | 'not_found'
  /** No answer in time, no route, a broken stream. */
  | 'unreachable'
  /** The holder answered something that is not the protocol (a hostile or broken peer). */
  | 'protocol'
  /** The holder announced more bytes than this node accepts for one blob. */
  | 'too_large';

/** A fetch of `hash` from `holder` failed. */
export class BlobTransferError extends BzzzError {
  override readonly name = 'BlobTransferError';

  constructor(
    readonly holder: string,
    readonly hash: string,
    readonly failure: BlobTransferFailure,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`fetching blob ${hash.slice(0, 12)} from ${holder}: ${failure} (${detail})`, options);
  }
}
