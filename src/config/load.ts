/**
 * Loading the configuration: the YAML file (`--config`, else `./bzzz.yaml` if present), then
 * `BZZZ_*` environment variables, then flags; later wins. Secrets may come from `*_file`
 * keys. A bad value throws ConfigError naming the key; the CLI turns it into exit code 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BzzzError } from '../lib/errors.js';
import { redactUrl } from '../lib/redact.js';
import {
  CONFIG_KEYS,
  ENV_ALIASES,
  SECRET_KEYS,
  configSchema,
  type Config,
  type ConfigKey,
} from './schema.js';

export class ConfigError extends BzzzError {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    readonly source: string,
    detail: string,
  ) {
    super(`config: ${key} (${source}): ${detail}`, { retryable: false });
  }
}

export interface LoadConfigOptions {
  /** Path of the YAML file; when absent, `./bzzz.yaml` is read if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from flags, by config key. */
  flags?: Partial<Record<ConfigKey, unknown>>;
  cwd?: string;
}

type Raw = Partial<Record<ConfigKey, unknown>>;

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const sources: Partial<Record<ConfigKey, string>> = {};
  const raw: Raw = {};

  const explicit = options.file ?? env.BZZZ_CONFIG;
  const file = explicit ?? (existsSync(resolve(cwd, 'bzzz.yaml')) ? 'bzzz.yaml' : undefined);
  if (file !== undefined) {
    const fromFile = readYaml(resolve(cwd, file), file);
    for (const [key, value] of Object.entries(fromFile)) {
      if (!CONFIG_KEYS.includes(key as ConfigKey)) throw new ConfigError(key, file, 'unknown key');
      raw[key as ConfigKey] = value;
      sources[key as ConfigKey] = file;
    }
  }
  for (const key of CONFIG_KEYS) {
    const name = `BZZZ_${key.toUpperCase()}`;
    const value = env[name];
    if (value !== undefined && value !== '') {
      raw[key] = value;
      sources[key] = name;
    }
  }
  for (const [name, key] of Object.entries(ENV_ALIASES)) {
    const value = env[name];
    if (value !== undefined && value !== '' && env[`BZZZ_${key.toUpperCase()}`] === undefined) {
      raw[key] = value;
      sources[key] = name;
    }
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    raw[key as ConfigKey] = value;
    sources[key as ConfigKey] = `--${key.replaceAll('_', '-')}`;
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '(config)');
    throw new ConfigError(key, sources[key as ConfigKey] ?? 'default', issue.message);
  }
  const config = parsed.data;
  config.data_dir = resolve(cwd, config.data_dir);
  if (config.forge_dir !== undefined) config.forge_dir = resolve(cwd, config.forge_dir);
  for (const key of ['mcp_token_file', 'mcp_readonly_token_file'] as const) {
    const file = config[key];
    if (file !== undefined) config[key] = resolve(cwd, file);
  }
  if (config.proxy_keys_file !== undefined) config.proxy_keys_file = resolve(cwd, config.proxy_keys_file);
  if (config.proxy_prices_file !== undefined)
    config.proxy_prices_file = resolve(cwd, config.proxy_prices_file);
  readSecretFiles(config, cwd);
  return config;
}

function readYaml(path: string, label: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'config',
      label,
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      'config',
      label,
      `not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError('config', label, 'must be a mapping of keys');
  return value as Record<string, unknown>;
}

function readSecretFiles(config: Config, cwd: string): void {
  const pairs: [ConfigKey, ConfigKey & `${string}_file`][] = [
    ['github_token', 'github_token_file'],
    ['whoosh_api_key', 'whoosh_api_key_file'],
    ['openai_api_key', 'openai_api_key_file'],
    ['proxy_upstream_key', 'proxy_upstream_key_file'],
  ];
  for (const [key, fileKey] of pairs) {
    const file = config[fileKey];
    if (file === undefined || config[key] !== undefined) continue;
    try {
      const secret = readFileSync(resolve(cwd, file), 'utf8').trim();
      if (secret === '') throw new ConfigError(fileKey, file, 'file is empty');
      (config as Record<string, unknown>)[key] = secret;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(
        fileKey,
        file,
        `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
}

/**
 * The configuration with secrets replaced by `[redacted]`, for printing; a URL keeps where it
 * points but not its password (`postgres://bzzz:***@db/bzzz`).
 */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET_KEYS.includes(key as ConfigKey) && value !== undefined) out[key] = '[redacted]';
    else out[key] = key.endsWith('_url') && typeof value === 'string' ? redactUrl(value) : value;
  }
  return out;
}

/** The forge directory: `forge_dir`, else `<data dir>/forge`. */
export function forgeDir(config: Config): string {
  return config.forge_dir ?? resolve(config.data_dir, 'forge');
}

/** The proxy's keys file: `proxy_keys_file`, else `<data dir>/proxy-keys.yaml`. */
export function proxyKeysFile(config: Config): string {
  return config.proxy_keys_file ?? resolve(config.data_dir, 'proxy-keys.yaml');
}

/** The NATS connection options of the configuration (the bus and the claim store share them). */
export function natsAuth(config: Config) {
  return {
    ...(config.nats_creds ? { credsFile: config.nats_creds } : {}),
    ...(config.nats_nkey_seed_file ? { nkeySeedFile: config.nats_nkey_seed_file } : {}),
    ...(config.nats_user ? { user: config.nats_user } : {}),
    ...(config.nats_password ? { password: config.nats_password } : {}),
    ...(config.nats_password_file ? { passwordFile: config.nats_password_file } : {}),
    ...(config.nats_token ? { token: config.nats_token } : {}),
    ...(config.nats_tls_ca ? { tlsCaFile: config.nats_tls_ca } : {}),
    ...(config.nats_tls_cert ? { tlsCertFile: config.nats_tls_cert } : {}),
    ...(config.nats_tls_key ? { tlsKeyFile: config.nats_tls_key } : {}),
  };
}
