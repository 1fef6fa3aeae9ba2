// Which claim store a node uses (BZZZ_CLAIMS and its default), and the one line a node that
// asks for JetStream without NATS gets.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ForgeClaimStore, JetStreamClaimStore, MemoryClaimStore } from '../../src/adapters/claims/index.js';
import type { NatsConnector } from '../../src/adapters/nats/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { claimStore } from '../../src/node/pipeline.js';

const components = { logger: silentLogger(), clock: systemClock };
const config = (env: Record<string, string>) =>
  loadConfig({ env: { BZZZ_DATA_DIR: mkdtempSync(join(tmpdir(), 'bzzz-cfg-')), ...env }, cwd: tmpdir() });
// a connector is only held by the store until start: a stand-in object is enough to choose
const connector = {} as NatsConnector;

describe('the claim store a node uses', () => {
  it('is JetStream with NATS, the forge table with a local forge, else the in-process table', () => {
    expect(claimStore(config({}), connector, components)).toBeInstanceOf(JetStreamClaimStore);
    const forge = claimStore(config({}), undefined, components);
    if (!(forge instanceof ForgeClaimStore))
      throw new Error(`not the forge store: ${forge.constructor.name}`);
    expect(forge.tableDir).toMatch(/forge\/\.meta\/claims\/local$/);
    expect(claimStore(config({ BZZZ_FORGE: 'github' }), undefined, components)).toBeInstanceOf(
      MemoryClaimStore,
    );
  });

  it('is what BZZZ_CLAIMS names, and refuses jetstream without NATS in one line', () => {
    expect(claimStore(config({ BZZZ_CLAIMS: 'memory' }), connector, components)).toBeInstanceOf(
      MemoryClaimStore,
    );
    expect(claimStore(config({ BZZZ_CLAIMS: 'forge' }), connector, components)).toBeInstanceOf(
      ForgeClaimStore,
    );
    expect(() => claimStore(config({ BZZZ_CLAIMS: 'jetstream' }), undefined, components)).toThrow(
      'BZZZ_CLAIMS=jetstream needs BZZZ_NATS_URL',
    );
    expect(() => config({ BZZZ_CLAIMS: 'redis' })).toThrow(/claims/);
  });
});
