/**
 * The configuration of a node (SPEC §5): one flat set of keys, the same names in the YAML
 * file (`http_port`), the environment (`BZZZ_HTTP_PORT`) and flags (`--http-port`).
 * Every value is validated at start; a bad one names its key.
 */
import { z } from 'zod';
import { isNodeId } from '../protocol/node-id.js';

const port = z.coerce.number().int().min(0).max(65_535);
const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean());
/** A comma-separated list (or a YAML list) of at most 100 items. */
const commaList = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(item).max(100),
  );
const list = commaList(z.string().min(1).max(100));
/** Multiaddrs, comma-separated. */
const addresses = commaList(z.string().min(1).max(500));
const url = z.url();
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, - and _ (at most 63)');

export const configSchema = z.strictObject({
  cluster: name.default('local'),
  node_name: z.string().min(1).max(100).optional(),
  data_dir: z.string().min(1).default('./.bzzz'),
  nats_url: z.string().min(1).optional(),
  nats_creds: z.string().min(1).optional(),
  nats_nkey_seed_file: z.string().min(1).optional(),
  nats_user: z.string().min(1).optional(),
  nats_password: z.string().min(1).optional(),
  nats_password_file: z.string().min(1).optional(),
  nats_token: z.string().min(1).optional(),
  nats_tls_ca: z.string().min(1).optional(),
  nats_tls_cert: z.string().min(1).optional(),
  nats_tls_key: z.string().min(1).optional(),
  /** Redis as the content store's cache (never the truth). */
  redis_url: z.string().min(1).optional(),
  /**
   * PostgreSQL for usage records and task history (`postgres://USER:PASSWORD@HOST/DB`); its
   * password is never printed. Unset: the node's embedded database (`<data_dir>/history.db`).
   */
  database_url: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// URL')
    .optional(),
  /** Live nodes that keep each pinned blob (the CAS replicator). */
  cas_replicas: z.coerce.number().int().min(1).max(100).default(3),
  /** Every this many ms a node announces again each pinned blob it holds. */
  cas_reannounce_ms: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  http_port: port.default(9000),
  http_host: z.string().min(1).default('127.0.0.1'),
  mcp_port: port.default(3001),
  /** Where the MCP server listens with a token file (default every interface); without one, 127.0.0.1 only. */
  mcp_host: z.string().min(1).optional(),
  /** A file holding the MCP server's read-write bearer token. */
  mcp_token_file: z.string().min(1).optional(),
  /** A file holding the MCP server's read-only bearer token (its clients see no write tool). */
  mcp_readonly_token_file: z.string().min(1).optional(),
  proxy_port: port.default(3002),
  /** The address the OpenAI-compatible proxy listens on (like `http_host`). */
  proxy_host: z.string().min(1).default('127.0.0.1'),
  /** The OpenAI-compatible server the proxy forwards to, up to and including `/v1`. */
  proxy_upstream_url: url.optional(),
  /** The upstream's API key: it never leaves the proxy (prefer the `_file` form). */
  proxy_upstream_key: z.string().min(1).optional(),
  proxy_upstream_key_file: z.string().min(1).optional(),
  /** The proxy's virtual keys, limits and budgets (default `<data_dir>/proxy-keys.yaml`). */
  proxy_keys_file: z.string().min(1).optional(),
  /** Prices per model (YAML or JSON, USD per million tokens) over the built-in table. */
  proxy_prices_file: z.string().min(1).optional(),
  resolver_port: port.default(3003),
  /** `nats` (default with `nats_url`), `libp2p`, or `local` (a cluster of one). */
  bus: z.enum(['nats', 'libp2p', 'local']).optional(),
  /** Multiaddrs the libp2p node listens on (default `/ip4/0.0.0.0/tcp/9100`). */
  p2p_listen: addresses.optional(),
  /** Multiaddrs ending in `/p2p/<node id>`, dialled at start. */
  p2p_bootstrap: addresses.default([]),
  /**
   * Relay nodes (multiaddrs ending in `/p2p/<node id>`) this node keeps a reservation on, so
   * that peers reach it through them when it is behind a NAT. Empty: any peer offering the
   * relay service (every bzzz node does).
   */
  p2p_relay: addresses.default([]),
  /** Addresses others can dial this node on besides its listen addresses (a forwarded port). */
  p2p_announce: addresses.default([]),
  p2p_mdns: bool.default(true),
  /** The cluster's pre-shared key (libp2p swarm key file): only holders can connect. */
  p2p_psk_file: z.string().min(1).optional(),
  /**
   * Node ids of the cluster's members, comma-separated: envelopes signed by any other node are
   * rejected on every bus (`not_member`). Empty: every node that signs is heard.
   */
  cluster_members: z
    .preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      z.array(z.string().refine(isNodeId, 'not a node id (a libp2p Ed25519 peer id)')).max(10_000),
    )
    .default([]),
  github_token: z.string().min(1).optional(),
  github_token_file: z.string().min(1).optional(),
  github_api_url: url.optional(),
  whoosh_url: url.optional(),
  whoosh_api_key: z.string().min(1).optional(),
  whoosh_api_key_file: z.string().min(1).optional(),
  forge: z.enum(['local', 'github']).default('local'),
  /** The claim store: default `jetstream` with NATS, else `forge` with a local forge, else `memory`. */
  claims: z.enum(['memory', 'jetstream', 'forge']).optional(),
  forge_dir: z.string().min(1).optional(),
  repos: list.default([]),
  poll_interval_ms: z.coerce.number().int().min(50).max(3_600_000).optional(),
  llm: z.enum(['scripted', 'ollama', 'openai']).default('scripted'),
  ollama_host: url.optional(),
  openai_base_url: url.optional(),
  openai_api_key: z.string().min(1).optional(),
  openai_api_key_file: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  /** The model's context window in tokens; default the window the server reports, else 8192. */
  context_tokens: z.coerce.number().int().min(1_024).max(10_000_000).optional(),
  sandbox: z.enum(['docker', 'bwrap']).optional(),
  escalation_webhook: url.optional(),
  help_timeout_ms: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  /**
   * How long an agent waits for its peers' reviews of its plan (0: no review). Unset: 3000
   * with a model, 0 with the scripted reasoner (see {@link planReviewMs}).
   */
  plan_review_ms: z.coerce.number().int().min(0).max(600_000).optional(),
  lease_ttl_ms: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  max_tasks: z.coerce.number().int().min(1).max(1_000).default(3),
  warm_workspaces: z.coerce.number().int().min(0).max(16).default(1),
  capabilities: list.default([]),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  shutdown_timeout_ms: z.coerce.number().int().min(100).max(600_000).default(30_000),
  mailbox_capacity: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  health_interval_ms: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  critical_grace_ms: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  sign_messages: bool.default(true),
  batch_broadcasts: bool.default(true),
});

export type Config = z.infer<typeof configSchema>;

/** The plan review window when a model reasons and `plan_review_ms` is not set. */
export const DEFAULT_PLAN_REVIEW_MS = 3_000;

/**
 * The plan review window in effect: as set, else {@link DEFAULT_PLAN_REVIEW_MS} with a model
 * and 0 with the scripted reasoner, whose node runs no advisor: a scripted cluster has no
 * reviewer, so its tasks do not wait for one unless told to (a model's advisor on another node
 * may review a scripted task's steps when the window is set).
 */
export function planReviewMs(config: Pick<Config, 'llm' | 'plan_review_ms'>): number {
  return config.plan_review_ms ?? (config.llm === 'scripted' ? 0 : DEFAULT_PLAN_REVIEW_MS);
}
export type ConfigKey = keyof Config;

/** Keys whose values are secrets: never printed. */
export const SECRET_KEYS: readonly ConfigKey[] = [
  'github_token',
  'whoosh_api_key',
  'openai_api_key',
  'proxy_upstream_key',
  'nats_password',
  'nats_token',
];

/** Environment variables that are not `BZZZ_<KEY>`. */
export const ENV_ALIASES: Readonly<Record<string, ConfigKey>> = { OLLAMA_HOST: 'ollama_host' };

export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];
