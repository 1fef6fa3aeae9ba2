/**
 * The HTTP edge of the MCP server: JSON-RPC error replies for requests refused before they
 * reach a session, and the bounded reading of a request body. Nothing a client sends here can
 * throw past these functions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BzzzError } from '../../lib/errors.js';

/** A JSON-RPC error with no request id (the request was refused before being read as one). */
export function replyError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
}

/** A request body over the limit. */
export class BodyTooLargeError extends BzzzError {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`, { retryable: false });
  }
}

/** A request body that is not JSON. */
export class BodyNotJsonError extends BzzzError {
  override readonly name = 'BodyNotJsonError';
  constructor(cause: unknown) {
    super('Parse error: the body is not JSON', { retryable: false, cause });
  }
}

/** The request's body parsed as JSON, at most `limit` bytes read. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new BodyNotJsonError(error);
  }
}
