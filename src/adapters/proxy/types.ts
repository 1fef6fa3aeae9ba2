/** The proxy port's options and injected parts (see `index.ts` for the whole of it). */
import type { Registry } from 'prom-client';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import type { UsageSink } from './usage-sink.js';

export interface ProxyInit {
  /** `BZZZ_PROXY_HOST` (127.0.0.1) and `BZZZ_PROXY_PORT` (3002; 0 picks a free port). */
  host: string;
  port: number;
  /** `BZZZ_PROXY_UPSTREAM_URL`, up to and including `/v1`. */
  upstreamUrl: string;
  /** The upstream's key (from `BZZZ_PROXY_UPSTREAM_KEY_FILE`); never sent anywhere else. */
  upstreamKey?: string | undefined;
  /** The virtual keys, per-model limits and task budget (`keys.ts`). */
  keysFile: string;
  /** Prices over the built-in table (`pricing.ts`). */
  pricesFile?: string | undefined;
  /** Redis for limits shared by every proxy on it; in memory without. */
  redisUrl?: string | undefined;
  /** Keeps the buckets of clusters sharing one Redis apart. */
  cluster: string;
  /** The node requests are attributed to when they do not say (`x-bzzz-node`). */
  node: string;
  /** Largest request body (default 16 MiB). */
  maxBodyBytes?: number;
  /** One upstream exchange, first byte to last (default 600 s). */
  upstreamTimeoutMs?: number;
}

export interface ProxyComponents {
  clock: Clock;
  logger: Logger;
  /** Where usage records go, and budgets are read from. */
  sink: UsageSink;
  /** Registers the proxy's series there (the node's registry); default a registry of its own. */
  registry?: Registry;
}

/** A running proxy. */
export interface ProxyServer extends Resource {
  readonly port: number;
  /** `http://host:port`; clients use `${url}/v1`. */
  readonly url: string;
  onFailure(listener: (error: Error) => void): void;
  stop(): Promise<void>;
  kill(): void;
}
