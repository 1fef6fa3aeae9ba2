/**
 * The forge and the claim store the configuration names: the two ports of the pipeline whose
 * choice depends on more than one setting.
 */
import {
  ForgeClaimStore,
  JetStreamClaimStore,
  MemoryClaimStore,
  type ClaimStore,
} from '../adapters/claims/index.js';
import type { ForgeInit } from '../adapters/forge/index.js';
import type { NatsConnector } from '../adapters/nats/index.js';
import { forgeDir, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { NonRetryableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { forgeTestSwitches } from './test-switches.js';

/** The forge the configuration names, with the two settings GitHub cannot do without. */
export function forgeInit(config: Config, logger: Logger): ForgeInit {
  if (config.forge === 'local') {
    return { kind: 'local', dir: forgeDir(config), ...forgeTestSwitches(process.env, logger) };
  }
  if (config.github_token === undefined) {
    throw new NonRetryableError('BZZZ_FORGE=github needs BZZZ_GITHUB_TOKEN or BZZZ_GITHUB_TOKEN_FILE');
  }
  if (config.repos.length === 0 && config.whoosh_url === undefined) {
    throw new NonRetryableError('BZZZ_FORGE=github needs BZZZ_REPOS (OWNER/NAME,...) or BZZZ_WHOOSH_URL');
  }
  return {
    kind: 'github',
    token: config.github_token,
    repos: config.repos,
    ...(config.github_api_url ? { apiUrl: config.github_api_url } : {}),
  };
}

/**
 * The claim store `BZZZ_CLAIMS` names, by default: JetStream KV on the node's connection in a
 * NATS cluster; else the lease table in the local forge's directory, which every process of
 * the host that shares the forge shares too; else (GitHub, one process) the in-process table.
 */
export function claimStore(
  config: Config,
  connector: NatsConnector | undefined,
  components: { logger: Logger; clock: Clock },
): ClaimStore {
  const kind = config.claims ?? (connector ? 'jetstream' : config.forge === 'local' ? 'forge' : 'memory');
  if (kind === 'jetstream') {
    if (connector === undefined) throw new NonRetryableError('BZZZ_CLAIMS=jetstream needs BZZZ_NATS_URL');
    return new JetStreamClaimStore({ cluster: config.cluster }, { ...components, connector });
  }
  if (kind === 'forge')
    return new ForgeClaimStore({ dir: forgeDir(config), cluster: config.cluster }, components);
  return new MemoryClaimStore(components);
}
