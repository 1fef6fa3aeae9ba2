/**
 * The status protocol (`/bzzz/status/1.0.0`): what the NATS micro service's `status` endpoint
 * is on a broker-less cluster. A client opens a stream, writes one length-prefixed request
 * (`{"gather": true|false}`) and reads one length-prefixed answer `{"documents": [...]}`: the
 * answering node's own status document, and with `gather` those of every peer it is connected
 * to (each asked the same way without `gather`, in parallel, within a deadline; a peer that
 * does not answer, or answers something that is not JSON, is left out). So `bzzz status` can
 * ask any one node and see the cluster as its peers describe it.
 *
 * The documents are passed on as JSON values: the reader (`bzzz status`) checks each against
 * the status schema, as it does with the answers of the NATS micro service.
 */
import type { Connection, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import { STATUS_PROTOCOL } from '../../protocol/index.js';
import type { P2PNode } from './node.js';
import type { Libp2pNode } from './types.js';

/** Most bytes of a request (a tiny JSON object). */
const MAX_REQUEST_BYTES = 1024;
/** Most bytes of an answer: the documents of a 50-node cluster with many tasks fit easily. */
export const MAX_STATUS_ANSWER_BYTES = 16 * 1024 * 1024;
/** How long one node waits for each of its peers when it gathers. */
const GATHER_TIMEOUT_MS = 2_000;
/** How long a whole exchange on one stream may take. */
const EXCHANGE_TIMEOUT_MS = 10_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses one answer; `undefined` for anything but `{"documents": [...]}`. */
export function parseStatusAnswer(bytes: Uint8Array): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof value !== 'object' || value === null) return undefined;
    const documents = (value as { documents?: unknown }).documents;
    return Array.isArray(documents) ? documents : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks `peer` (a peer id or a multiaddr already dialled) for its status over an open libp2p
 * node; resolves with the documents, or throws when the peer does not answer properly in time.
 */
export async function askStatus(
  node: Pick<Libp2pNode, 'dialProtocol'>,
  peer: Parameters<Libp2pNode['dialProtocol']>[0],
  gather: boolean,
  timeoutMs: number,
): Promise<unknown[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const stream = await node.dialProtocol(peer, STATUS_PROTOCOL, { signal });
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_STATUS_ANSWER_BYTES });
    await lp.write(encoder.encode(JSON.stringify({ gather })), { signal });
    const answer = await lp.read({ signal });
    const documents = parseStatusAnswer(answer.subarray());
    if (documents === undefined) throw new Error('the peer did not answer a status document');
    await stream.close().catch(() => undefined);
    return documents;
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(describeError(error)));
    throw error;
  }
}

/** What the service needs: the node's own status document, as the HTTP API serves it. */
export interface StatusServiceInit {
  status(): unknown;
  logger: Logger;
}

/** Serves the status protocol on the node's libp2p node while it runs; a supervised resource. */
export function openStatusService(p2p: P2PNode, init: StatusServiceInit): Resource {
  let running: Libp2pNode | undefined;
  const serve = (node: Libp2pNode) => (stream: Stream, connection: Connection) => {
    void answer(node, stream, connection.remotePeer.toString(), init);
  };
  const unfollow = p2p.follow({
    attach: async (node) => {
      running = node;
      await node.handle(STATUS_PROTOCOL, serve(node), { maxInboundStreams: 8 });
    },
    detach: async (node) => {
      running = undefined;
      await node.unhandle(STATUS_PROTOCOL).catch(() => undefined);
    },
  });
  return {
    stop: async () => {
      unfollow();
      await running?.unhandle(STATUS_PROTOCOL).catch(() => undefined);
      running = undefined;
    },
  };
}

/** One exchange: read the request, gather when asked, answer. Nothing here throws out. */
async function answer(
  node: Libp2pNode,
  stream: Stream,
  peer: string,
  init: StatusServiceInit,
): Promise<void> {
  const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES });
    const request = await lp.read({ signal });
    let gather = false;
    try {
      gather = (JSON.parse(decoder.decode(request.subarray())) as { gather?: unknown }).gather === true;
    } catch {
      throw new Error('the request is not JSON');
    }
    const documents: unknown[] = [init.status()];
    if (gather) {
      const others = await Promise.allSettled(
        node
          .getPeers()
          .filter((id) => id.toString() !== peer)
          .map((id) => askStatus(node, id, false, GATHER_TIMEOUT_MS)),
      );
      // a peer speaks for itself: one document each
      for (const result of others)
        if (result.status === 'fulfilled') documents.push(...result.value.slice(0, 1));
    }
    await lp.write(encoder.encode(JSON.stringify({ documents })), { signal });
    await stream.close().catch(() => undefined);
  } catch (error) {
    init.logger.debug({ peer, err: describeError(error) }, 'status request failed');
    stream.abort(error instanceof Error ? error : new Error(describeError(error)));
  }
}
