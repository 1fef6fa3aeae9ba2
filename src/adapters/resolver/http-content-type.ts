/**
 * The Content-Type of what the resolver serves: a task's `diff` is a diff, a transcript,
 * thread or audit list is JSON when its first byte says so, a file of the result tree is
 * guessed from its extension, and anything else is bytes.
 */
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
  py: 'text/x-python; charset=utf-8',
  go: 'text/plain; charset=utf-8',
  rs: 'text/plain; charset=utf-8',
  sh: 'text/x-shellscript; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8',
  yml: 'application/yaml; charset=utf-8',
  toml: 'text/plain; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  diff: 'text/x-diff; charset=utf-8',
  patch: 'text/x-diff; charset=utf-8',
};

export const OCTET_STREAM = 'application/octet-stream';
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** The type of a task path's blob; `head` is its first bytes (for the JSON documents). */
export function contentTypeOf(path: string, head: Uint8Array | undefined): string {
  if (path === 'diff') return 'text/x-diff; charset=utf-8';
  if (path === 'log' || path === 'thread' || path === 'audit') return looksJson(head) ? JSON_TYPE : TEXT_TYPE;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? OCTET_STREAM : (BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? OCTET_STREAM);
}

/** Whether a path's type depends on the blob's first bytes. */
export function sniffs(path: string): boolean {
  return path === 'log' || path === 'thread' || path === 'audit';
}

function looksJson(head: Uint8Array | undefined): boolean {
  for (const byte of head ?? []) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}
