/**
 * Serving a store's verified stream without serving a corrupt blob whole: the store checks the
 * hash after its last chunk has passed, so the last bytes are held back until the stream has
 * ended cleanly. A corrupt blob then ends the response short of its `Content-Length`, which
 * every client reports as an error, instead of complete-looking wrong bytes. A range reads on
 * past its end to the end of the blob, for the same check.
 */
import type { ByteRange } from './types.js';

export async function* verifiedSlice(
  source: AsyncIterable<Uint8Array>,
  range?: ByteRange,
): AsyncGenerator<Uint8Array> {
  const start = range?.start ?? 0;
  const end = range === undefined ? Number.POSITIVE_INFINITY : range.end + 1;
  let offset = 0;
  let held: Uint8Array | undefined;
  for await (const chunk of source) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end - offset, chunk.byteLength);
    offset += chunk.byteLength;
    if (from >= to) continue;
    if (held !== undefined) yield held;
    held = from === 0 && to === chunk.byteLength ? chunk : chunk.subarray(from, to);
  }
  if (held !== undefined) yield held;
}
