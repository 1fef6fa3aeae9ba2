/**
 * `bzzz resolve` asking a running node's resolver: its base URL (`--url`, else the
 * configured `http_host` and `resolver_port`), and one `GET /v1/resolve?addr=` whose answer
 * is parsed before it is trusted. A resolver that does not answer is `unreachable`, so the
 * command can resolve from the data dir instead.
 */
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { describeError } from '../lib/errors.js';
import type { Resolution } from '../adapters/resolver/index.js';
import { UsageError } from './command.js';

/** The resolver's base URL: `--url`, else the configured host and port; undefined for port 0. */
export function resolverUrl(config: Config, url: string | undefined): string | undefined {
  if (url !== undefined) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new UsageError(`--url: not an http(s) URL: ${JSON.stringify(url)}`);
    return url.replace(/\/+$/, '');
  }
  if (config.resolver_port === 0) return undefined;
  // a resolver listening on every interface is reached on loopback
  const host = ['0.0.0.0', '::', '[::]'].includes(config.http_host) ? '127.0.0.1' : config.http_host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.resolver_port}`;
}

const matchSchema = z.object({
  node: z.string().max(256),
  nodeName: z.string().max(256),
  agent: z.string().max(256),
  roles: z.array(z.string().max(256)).max(256),
  task: z.string().max(1024),
  path: z.string().max(4096),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  size: z.number().int().min(0).optional(),
  url: z.string().max(4096).optional(),
  seq: z.number(),
});

const resolutionSchema = z.object({
  addr: z.string().max(4096),
  kind: z.enum(['blob', 'actor', 'names']),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  size: z.number().int().min(0).optional(),
  address: z.string().max(4096).optional(),
  url: z.string().max(4096).optional(),
  matches: z.array(matchSchema).max(1000).optional(),
});

const errorSchema = z.object({
  error: z.object({
    code: z.string().max(64),
    message: z.string().max(4096),
    part: z.string().max(32).optional(),
  }),
});

export type AskResult =
  | { kind: 'resolved'; resolution: Resolution }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'unreachable'; reason: string };

/** Asks the resolver at `base` for `addr`. */
export async function askResolver(base: string, addr: string, timeoutMs = 5_000): Promise<AskResult> {
  const url = `${base}/v1/resolve?addr=${encodeURIComponent(addr)}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return { kind: 'unreachable', reason: `no resolver answered at ${base} (${describeError(error)})` };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const parsed = resolutionSchema.safeParse(body);
    if (parsed.success) return { kind: 'resolved', resolution: parsed.data };
    return { kind: 'failed', code: 'bad_answer', message: `${base} did not answer a resolution` };
  }
  const parsed = errorSchema.safeParse(body);
  if (parsed.success)
    return { kind: 'failed', code: parsed.data.error.code, message: parsed.data.error.message };
  return { kind: 'failed', code: 'bad_answer', message: `${base} answered HTTP ${response.status}` };
}
