/**
 * The serving side of `/bzzz/name/1.0.0`: one request, one answer per stream. A `get` is
 * answered from the records this node holds; a `put` (an owner pushing its new publication)
 * is checked by the caller's `trust` and kept when it is newer than what is held. Nothing a
 * peer sends can throw out of here: an unreadable request is refused (counted by the caller)
 * and the stream aborted.
 */
import type { Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { describeError, toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { parseAddress, type NameRecord } from '../../protocol/index.js';
import { keyText, storeKey, type NameStore } from './name-store.js';
import { decodeNameRequest, encodeNameFrame, MAX_NAME_FRAME } from './name-wire.js';

/** What serving one stream needs from the names service. */
export interface NameServing {
  signal: AbortSignal;
  store: NameStore;
  logger: Logger;
  /** The pushed record once checked, or `undefined` (refused and counted). */
  trust(record: unknown): NameRecord | undefined;
  /** Told of a pushed record once kept (newer than what was held). */
  kept?(record: NameRecord): void;
  /** Counts and logs an unreadable request. */
  refuse(detail: string): void;
}

/** Answers the one request on `stream` from `peer`. */
export async function serveNameStream(stream: Stream, peer: string, serving: NameServing): Promise<void> {
  const { signal, store } = serving;
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_NAME_FRAME });
    const request = decodeNameRequest((await lp.read({ signal })).subarray());
    if (request === undefined) {
      serving.refuse('unreadable name request');
      stream.abort(new Error('unreadable name request'));
      return;
    }
    if (request.op === 'get') {
      let record: NameRecord | undefined;
      try {
        record = store.get(keyText(parseAddress(request.name)));
      } catch {
        // not a name: nothing held for it
      }
      await lp.write(encodeNameFrame(record === undefined ? {} : { record }), { signal });
    } else {
      const record = serving.trust(request.record);
      if (record !== undefined && store.offer(storeKey(record.node, record.path), record, false))
        serving.kept?.(record);
      const answer = record === undefined ? { ok: false, error: 'refused' } : { ok: true };
      await lp.write(encodeNameFrame(answer), { signal });
    }
    await stream.close({ signal });
  } catch (error) {
    serving.logger.debug({ peer, err: describeError(error) }, 'name stream ended');
    stream.abort(toError(error));
  }
}
