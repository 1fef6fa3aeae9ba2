/** Real `curl` against the resolver: status, headers (lower-case names), body bytes, exit code. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CurlResult {
  /** curl's exit code (18: the body ended short of its Content-Length). */
  exit: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export async function curl(url: string, ...args: string[]): Promise<CurlResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-curl-'));
  try {
    const exit = await new Promise<number>((resolve) => {
      execFile(
        'curl',
        ['-sS', '--max-time', '60', '-D', join(dir, 'headers'), '-o', join(dir, 'body'), ...args, url],
        (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
      );
    });
    const head = await readFile(join(dir, 'headers'), 'utf8').catch(() => '');
    const body = await readFile(join(dir, 'body')).catch(() => Buffer.alloc(0));
    const lines = head.split('\r\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { exit, status, headers, body };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
