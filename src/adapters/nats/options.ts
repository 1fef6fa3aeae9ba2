/**
 * NATS connection options from bzzz config: servers, credentials (a `.creds` file, an nkey
 * seed file, user and password, a token) and TLS files. Files are read here, once per connect,
 * so a rotated creds file is picked up at the next connection.
 */
import { readFile } from 'node:fs/promises';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { NatsConfigError } from './errors.js';

/** Connection and credential options (config keys in parentheses). */
export interface NatsAuthInit {
  /** One URL or several, comma-separated (`nats_url`). */
  servers: string;
  /** A NATS `.creds` file: user JWT and nkey seed (`nats_creds`). */
  credsFile?: string | undefined;
  /** A file holding an nkey seed (`SU…`) (`nats_nkey_seed_file`). */
  nkeySeedFile?: string | undefined;
  /** User name (`nats_user`). */
  user?: string | undefined;
  /** Password (`nats_password`), or a file holding it (`nats_password_file`). */
  password?: string | undefined;
  passwordFile?: string | undefined;
  /** An auth token (`nats_token`). */
  token?: string | undefined;
  /** TLS: CA bundle, client certificate and key (`nats_tls_ca`, `nats_tls_cert`, `nats_tls_key`). */
  tlsCaFile?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /** Connection name shown by `nats server report connections`. */
  name?: string | undefined;
}

/** Reconnect tuning. */
export interface NatsReconnectInit {
  /** Wait between reconnect attempts (default 500 ms). */
  reconnectTimeWaitMs?: number | undefined;
  /** Ping interval, which bounds how long a silently dead server goes unnoticed (default 10 s). */
  pingIntervalMs?: number | undefined;
}

async function readSecret(key: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new NatsConfigError(
      key,
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The options `connect` takes. The client reconnects forever on its own (the connection
 * actor decides when to give up, not the library) and never echoes this connection's own
 * publications back to it.
 */
export async function natsConnectionOptions(
  init: NatsAuthInit & NatsReconnectInit,
): Promise<NodeConnectionOptions> {
  const servers = init.servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0) throw new NatsConfigError('nats_url', 'no server given');
  const authenticators: Authenticator[] = [];
  if (init.credsFile !== undefined)
    authenticators.push(credsAuthenticator(await readSecret('nats_creds', init.credsFile)));
  if (init.nkeySeedFile !== undefined) {
    const seed = new TextDecoder().decode(await readSecret('nats_nkey_seed_file', init.nkeySeedFile)).trim();
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  let password = init.password;
  if (password === undefined && init.passwordFile !== undefined) {
    password = new TextDecoder().decode(await readSecret('nats_password_file', init.passwordFile)).trim();
  }
  const tls =
    init.tlsCaFile !== undefined || init.tlsCertFile !== undefined || init.tlsKeyFile !== undefined
      ? {
          ...(init.tlsCaFile === undefined ? {} : { caFile: init.tlsCaFile }),
          ...(init.tlsCertFile === undefined ? {} : { certFile: init.tlsCertFile }),
          ...(init.tlsKeyFile === undefined ? {} : { keyFile: init.tlsKeyFile }),
        }
      : undefined;
  return {
    servers,
    noEcho: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: init.reconnectTimeWaitMs ?? 500,
    reconnectJitter: 100,
    pingInterval: init.pingIntervalMs ?? 10_000,
    timeout: 5_000,
    ...(init.name === undefined ? {} : { name: init.name }),
    ...(init.user === undefined ? {} : { user: init.user }),
    ...(password === undefined ? {} : { pass: password }),
    ...(init.token === undefined ? {} : { token: init.token }),
    ...(authenticators.length > 0 ? { authenticator: authenticators } : {}),
    ...(tls === undefined ? {} : { tls }),
  };
}
