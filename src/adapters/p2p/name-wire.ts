/**
 * The frames of `/bzzz/name/1.0.0`. One request and one response per stream, each one
 * varint length-prefixed JSON frame of at most {@link MAX_NAME_FRAME} bytes:
 *
 * - `{"op":"get","name":"bzzz://<node id>/<path>"}` → `{"record":{...}}`, or `{}` when the
 *   peer holds no record for the name;
 * - `{"op":"put","record":{...}}` (the owner pushing a new publication) → `{"ok":true}`, or
 *   `{"ok":false,"error":"<problem>"}` when the record was refused.
 *
 * A record in a frame is the object whose canonical JSON is its DHT value; the receiver checks
 * it (`checkNameRecord`) like any record. A frame that is not one of these is `undefined`.
 */
import type { PeerId } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { z } from 'zod';
import { toError } from '../../lib/errors.js';
import { NAME_PROTOCOL } from '../../protocol/index.js';
import type { Libp2pNode } from './types.js';
import { MAX_ADDRESS, MAX_NAME_RECORD_BYTES } from '../../protocol/index.js';

/** How long closing a finished stream may take before it is aborted. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Largest frame either side sends or reads. */
export const MAX_NAME_FRAME = MAX_NAME_RECORD_BYTES + 1024;

const requestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('get'), name: z.string().max(MAX_ADDRESS) }),
  z.strictObject({ op: z.literal('put'), record: z.unknown() }),
]);

const responseSchema = z.strictObject({
  record: z.unknown().optional(),
  ok: z.boolean().optional(),
  error: z.string().max(256).optional(),
});

/** A request frame. */
export type NameRequest = z.infer<typeof requestSchema>;
/** A response frame. */
export type NameResponse = z.infer<typeof responseSchema>;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a frame. */
export function encodeNameFrame(frame: NameRequest | NameResponse): Uint8Array {
  return Buffer.from(JSON.stringify(frame), 'utf8');
}

function parse<T>(schema: z.ZodType<T>, bytes: Uint8Array): T | undefined {
  if (bytes.length > MAX_NAME_FRAME) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(decoder.decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A request frame, or `undefined` when `bytes` is none. */
export function decodeNameRequest(bytes: Uint8Array): NameRequest | undefined {
  return parse(requestSchema, bytes);
}

/** A response frame, or `undefined` when `bytes` is none. */
export function decodeNameResponse(bytes: Uint8Array): NameResponse | undefined {
  return parse(responseSchema, bytes);
}

/** Sends one request frame to `peer` and reads its one response frame. */
export async function exchangeNameFrames(
  node: Libp2pNode,
  peer: PeerId,
  request: Uint8Array,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const stream = await node.dialProtocol(peer, NAME_PROTOCOL, { signal });
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_NAME_FRAME });
    await lp.write(request, { signal });
    const response = (await lp.read({ signal })).subarray();
    // the answer is in: closing the stream need not hold up the caller
    void stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((error: unknown) => {
      stream.abort(toError(error));
    });
    return response;
  } catch (error) {
    stream.abort(toError(error));
    throw error;
  }
}
