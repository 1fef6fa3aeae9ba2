/**
 * bzzz:// name records in the DHT: the walk that finds the newest valid record any peer on the
 * way holds (every value checked by the caller's `trust`, which counts what it refuses), and
 * the put of an own record. kad-dht checks what it stores with our validator and selector
 * (src/protocol/name-record.ts); these only drive it.
 */
import type { PeerId } from '@libp2p/interface';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import {
  encodeNameRecord,
  formatName,
  nameKey,
  nameOfRecord,
  type NameRecord,
  type NameRef,
} from '../../protocol/index.js';
import { newest } from './name-store.js';
import type { Libp2pNode } from './types.js';

/** Walks the DHT for `name`: the newest record `trust` accepts, or the error that ended the walk. */
export async function walkDht(
  node: Libp2pNode,
  name: NameRef,
  signal: AbortSignal,
  trust: (value: Uint8Array, from: string) => NameRecord | undefined,
): Promise<{ record?: NameRecord; error?: unknown }> {
  let best: NameRecord | undefined;
  const consider = (value: Uint8Array, from: PeerId): void => {
    best = newest(trust(value, from.toString()), best);
  };
  try {
    for await (const event of node.services.dht.get(nameKey(name), { signal })) {
      if (event.name === 'PEER_RESPONSE' && event.record != null) consider(event.record.value, event.from);
      if (event.name === 'VALUE') consider(event.value, event.from);
    }
  } catch (error) {
    // a failed correction of a stale peer, or the deadline: what was found still counts
    return best === undefined ? { error } : { record: best };
  }
  return best === undefined ? {} : { record: best };
}

/** Puts an own record into the DHT; how many peers took it (0 on failure, logged). */
export async function putDht(
  node: Libp2pNode,
  record: NameRecord,
  signal: AbortSignal,
  logger: Logger,
): Promise<number> {
  const name = nameOfRecord(record);
  let took = 0;
  try {
    for await (const event of node.services.dht.put(nameKey(name), encodeNameRecord(record), { signal })) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') took++;
    }
  } catch (error) {
    logger.debug({ name: formatName(name), err: describeError(error) }, 'DHT put incomplete');
  }
  return took;
}
