/**
 * The asking side of `/bzzz/name/1.0.0`: a `get` to one peer, whose answer is checked by the
 * caller's `trust` before it counts; and the push of a new own record to connected peers.
 * Neither throws: a peer that cannot be reached or is too slow simply gave no answer, and one
 * that answers garbage is refused (counted by the caller).
 */
import type { PeerId } from '@libp2p/interface';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { NameRecord } from '../../protocol/index.js';
import { decodeNameResponse, encodeNameFrame, exchangeNameFrames } from './name-wire.js';
import type { Libp2pNode } from './types.js';

/** How the asker judges an answer. */
export interface NameAnswerCheck {
  logger: Logger;
  /** The answered record once checked, or `undefined` (refused and counted). */
  trust(record: unknown, from: string): NameRecord | undefined;
  /** Counts and logs an unreadable answer. */
  refuse(from: string, detail: string): void;
}

/** One get from one peer: a checked record, or `undefined`. Never throws. */
export async function askNamePeer(
  node: Libp2pNode,
  peer: PeerId,
  request: Uint8Array,
  signal: AbortSignal,
  check: NameAnswerCheck,
): Promise<NameRecord | undefined> {
  const from = peer.toString();
  let bytes: Uint8Array;
  try {
    bytes = await exchangeNameFrames(node, peer, request, signal);
  } catch (error) {
    // unreachable, too slow, or not a names peer: no answer, nothing hostile
    check.logger.debug({ peer: from, err: describeError(error) }, 'no name answer from a peer');
    return undefined;
  }
  const response = decodeNameResponse(bytes);
  if (response === undefined) {
    check.refuse(from, 'unreadable name response');
    return undefined;
  }
  return response.record === undefined ? undefined : check.trust(response.record, from);
}

/** Pushes an own record to `peers` in parallel; how many took it. */
export async function pushNameRecord(
  node: Libp2pNode,
  peers: readonly PeerId[],
  record: NameRecord,
  signal: AbortSignal,
): Promise<number> {
  const request = encodeNameFrame({ op: 'put', record });
  const answers = await Promise.all(
    peers.map(async (peer) => {
      try {
        return decodeNameResponse(await exchangeNameFrames(node, peer, request, signal))?.ok === true;
      } catch {
        return false;
      }
    }),
  );
  return answers.filter(Boolean).length;
}
