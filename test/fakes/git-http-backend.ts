/**
 * A real git remote over HTTP for tests: requests under a prefix are handed to
 * `git http-backend` (the CGI program that ships with git), which serves clone, fetch and
 * push of the bare repositories under `root`. Pushes require the token (Basic password or
 * Bearer); clones are public, like a public repository on GitHub.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GitHttpOptions {
  root: string;
  token: string;
  /** Called for every push attempt, with whether it was authorized. */
  onPush?: (authorized: boolean) => void;
}

/** True when the Authorization header carries `token` (Basic password, Bearer or token). */
export function carriesToken(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  if (/^(bearer|token)$/i.test(scheme ?? '')) return value === token;
  if (/^basic$/i.test(scheme ?? '')) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === token;
  }
  return false;
}

/** Serves one git smart-HTTP request; `pathInfo` is `/owner/name.git/...`. */
export function serveGit(
  req: IncomingMessage,
  res: ServerResponse,
  pathInfo: string,
  query: string,
  options: GitHttpOptions,
): void {
  const isPush = pathInfo.endsWith('/git-receive-pack') || /(^|&)service=git-receive-pack(&|$)/.test(query);
  const authorized = carriesToken(req.headers.authorization, options.token);
  if (isPush) options.onPush?.(authorized);
  if (isPush && !authorized) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="fake-github"', 'content-type': 'text/plain' });
    res.end('authentication required\n');
    return;
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: options.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: query,
    REMOTE_ADDR: '127.0.0.1',
  };
  if (authorized) env.REMOTE_USER = 'x-access-token';
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const contentType = header('content-type');
  if (contentType !== undefined) env.CONTENT_TYPE = contentType;
  const contentLength = header('content-length');
  if (contentLength !== undefined) env.CONTENT_LENGTH = contentLength;
  const encoding = header('content-encoding');
  if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = header('git-protocol');
  if (protocol !== undefined) env.GIT_PROTOCOL = protocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headerDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const sep = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
    if (sep < 0) return;
    const sepLength = head[sep] === 13 ? 4 : 2;
    const lines = head.subarray(0, sep).toString('utf8').split(/\r?\n/);
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 200;
      else headers[name] = value;
    }
    headerDone = true;
    res.writeHead(status, headers);
    res.write(head.subarray(sep + sepLength));
  });
  child.on('close', () => {
    if (!headerDone) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('git http-backend failed\n');
      return;
    }
    res.end();
  });
  child.on('error', () => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
}
