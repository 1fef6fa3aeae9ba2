/**
 * A blob as an HTTP answer: `ETag: "<hash>"`, `Accept-Ranges`, `Content-Length`, a 304 for a
 * matching `If-None-Match`, a 206 with `Content-Range` for one range, a 416 for a range past
 * the end, no body for HEAD. Bytes from the store stream (verified; see verified-slice.ts).
 * Every answer forbids sniffing and runs in a sandbox, since a task's files are not ours.
 */
import { noneMatch, requestedRange } from './http-range.js';
import type { Resolver } from './resolver.js';
import type { ByteRange, LocatedBlob } from './types.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface BlobAnswer {
  blob: LocatedBlob;
  contentType: string;
  cacheControl: string;
  /** More headers (`Content-Location` of a task path). */
  headers?: Record<string, string>;
  /**
   * Told when the bytes fail after the headers went out (a corrupt blob): it cuts the
   * connection, so the response ends short of its length. Without it, the stream errors.
   */
  onBroken?: (error: unknown) => void;
}

export async function blobResponse(
  request: Request,
  resolver: Resolver,
  answer: BlobAnswer,
): Promise<Response> {
  const { blob } = answer;
  const etag = `"${blob.hash}"`;
  const headers = new Headers({
    etag,
    'cache-control': answer.cacheControl,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    ...answer.headers,
  });
  if (noneMatch(request.headers, etag)) return new Response(null, { status: 304, headers });
  const wanted = requestedRange(request.headers, etag, blob.size);
  if (wanted.kind === 'unsatisfiable') {
    headers.set('content-range', `bytes */${blob.size}`);
    headers.set('content-type', 'application/json');
    const message = `range ${request.headers.get('range') ?? ''} is past the end of a ${blob.size}-byte blob`;
    return new Response(JSON.stringify({ error: { code: 'range_not_satisfiable', message } }), {
      status: 416,
      headers,
    });
  }
  const range: ByteRange | undefined = wanted.kind === 'range' ? wanted.range : undefined;
  headers.set('content-type', answer.contentType);
  headers.set('content-length', String(range === undefined ? blob.size : range.end - range.start + 1));
  if (range !== undefined) headers.set('content-range', `bytes ${range.start}-${range.end}/${blob.size}`);
  const status = range === undefined ? 200 : 206;
  if (request.method === 'HEAD') return new Response(null, { status, headers });
  const bytes = await resolver.openBlob(blob, range);
  return new Response(toStream(bytes, answer.onBroken), { status, headers });
}

function toStream(
  source: AsyncIterable<Uint8Array>,
  onBroken: ((error: unknown) => void) | undefined,
): ReadableStream<Uint8Array> {
  if (onBroken === undefined) return ReadableStream.from(source);
  return ReadableStream.from(
    (async function* () {
      try {
        yield* source;
      } catch (error) {
        onBroken(error);
      }
    })(),
  );
}
