/**
 * Who may talk to the MCP server. With token files, every request carries
 * `Authorization: Bearer <token>`: the read-write token (`BZZZ_MCP_TOKEN_FILE`) or the read-only
 * one (`BZZZ_MCP_READONLY_TOKEN_FILE`); the presented token is compared with each in constant
 * time (SHA-256 digests through `timingSafeEqual`, so neither its content nor its length shows
 * in the timing). Without a token file the server listens on loopback only, and a request must
 * name a loopback host and come from no foreign web origin (a page in a browser cannot reach
 * it through DNS rebinding).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { McpTokenFileError } from './errors.js';
import type { Access } from './types.js';

type TokenKey = 'mcp_token_file' | 'mcp_readonly_token_file';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The tokens of the token files, kept as digests only. */
export class Tokens {
  private constructor(
    readonly readWrite: Buffer | undefined,
    readonly readOnly: Buffer | undefined,
  ) {}

  /** Reads the token files; throws {@link McpTokenFileError} for an unreadable or empty one. */
  static async load(files: { tokenFile?: string; readOnlyTokenFile?: string }): Promise<Tokens> {
    const readWrite =
      files.tokenFile === undefined ? undefined : await readToken('mcp_token_file', files.tokenFile);
    const readOnly =
      files.readOnlyTokenFile === undefined
        ? undefined
        : await readToken('mcp_readonly_token_file', files.readOnlyTokenFile);
    if (readWrite !== undefined && readOnly !== undefined && readWrite.equals(readOnly)) {
      throw new McpTokenFileError(
        'mcp_readonly_token_file',
        files.readOnlyTokenFile ?? '',
        'holds the same token as mcp_token_file: give read-only clients a token of their own',
      );
    }
    return new Tokens(readWrite, readOnly);
  }

  /** Whether any token file was given (else the server is for loopback clients only). */
  get required(): boolean {
    return this.readWrite !== undefined || this.readOnly !== undefined;
  }

  /**
   * The access an `Authorization` header grants: undefined for none (no token, a wrong one,
   * another scheme). Without token files every (loopback) client is read-write.
   */
  access(authorization: string | undefined): Access | undefined {
    if (!this.required) return 'read-write';
    const match = /^Bearer[ \t]+(\S{1,4096})[ \t]*$/i.exec(authorization ?? '');
    if (match === null) return undefined;
    const presented = digest(match[1]!);
    // both comparisons run whatever the first one says
    const isReadWrite = this.readWrite !== undefined && timingSafeEqual(presented, this.readWrite);
    const isReadOnly = this.readOnly !== undefined && timingSafeEqual(presented, this.readOnly);
    return isReadWrite ? 'read-write' : isReadOnly ? 'read-only' : undefined;
  }
}

/**
 * Whether a request without a token may be served: its `Host` names a loopback address (with
 * any port) and its `Origin`, when a browser sent one, is a loopback page too.
 */
export function loopbackRequest(host: string | undefined, origin: string | undefined): boolean {
  if (host === undefined || !LOOPBACK_HOSTS.has(hostName(host))) return false;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** `host:port` → host (an IPv6 literal keeps its brackets). */
function hostName(host: string): string {
  const text = host.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(0, text.indexOf(']') + 1);
  const colon = text.lastIndexOf(':');
  return colon < 0 ? text : text.slice(0, colon);
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

async function readToken(key: TokenKey, path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new McpTokenFileError(
      key,
      path,
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      error,
    );
  }
  const token = text.trim();
  if (token === '') throw new McpTokenFileError(key, path, 'file is empty');
  if (/\s/.test(token) || token.length > 4096)
    throw new McpTokenFileError(key, path, 'a token is one word of at most 4096 characters');
  if (token.length < 16) throw new McpTokenFileError(key, path, 'a token has at least 16 characters');
  return digest(token);
}
