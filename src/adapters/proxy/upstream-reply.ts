/**
 * Reading what the upstream sent back: a body within a size cap, and an error reply turned
 * into the client's, with the same status and `Retry-After` (so the client backs off as the
 * upstream asked), its body redacted (a server may echo the key it was given), and wrapped
 * in an OpenAI-style error when it was not JSON.
 */
import type { Readable } from 'node:stream';
import { UpstreamError } from './errors.js';
import type { Redactor } from './redact.js';
import type { UpstreamReply } from './upstream.js';

/** The body as text, failing past `maxBytes`. */
export async function readCapped(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      bytes += buffer.byteLength;
      if (bytes > maxBytes) {
        body.destroy();
        throw new UpstreamError(
          'upstream_invalid_reply',
          `the upstream's reply is larger than ${maxBytes} bytes`,
        );
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(
      'upstream_unreachable',
      'the upstream closed the connection in the middle of its reply',
    );
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

const RETRY_AFTER = /^(\d{1,6}|[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT)$/;

/** The client's reply to an upstream error reply. */
export async function upstreamFailure(reply: UpstreamReply, redact: Redactor): Promise<Response> {
  const text = redact(await readCapped(reply.body, 1024 * 1024).catch(() => ''));
  let body = text;
  try {
    JSON.parse(text);
  } catch {
    const message =
      text.trim() === '' ? `the upstream answered HTTP ${reply.status}` : text.trim().slice(0, 1000);
    body = JSON.stringify({
      error: { message, type: 'upstream_error', param: null, code: 'upstream_status' },
    });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfter = reply.retryAfter?.trim();
  if (retryAfter !== undefined && RETRY_AFTER.test(retryAfter)) headers['retry-after'] = retryAfter;
  return new Response(body, { status: reply.status, headers });
}
