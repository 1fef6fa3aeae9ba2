/** The node's content store service: its figures on /metrics and its cache health check. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptBlobError } from '../../src/adapters/cas/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { contentStoreService } from '../../src/node/content-store.js';
import { NodeMetrics } from '../../src/node/metrics.js';
import { blobPath, flipByte } from '../compliance/cas.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the node content store', () => {
  it('counts blobs, bytes and corrupt blobs on /metrics; the cache check passes without Redis', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bzzz-node-cas-'));
    const config = loadConfig({ env: { BZZZ_DATA_DIR: dir }, cwd: dir });
    expect(config.cas_replicas).toBe(3);
    const metrics = new NodeMetrics({ node: 'n1', cluster: 'test' });
    const cas = contentStoreService(config, { logger: silentLogger(), clock: systemClock, metrics });
    expect(cas.children.map((c) => c.id)).toEqual(['cas', 'cas-gc']);
    await cas.store.start();
    try {
      const { hash } = await cas.store.put(Buffer.from('x'.repeat(1000)));
      await cas.store.put(Buffer.from('y'));
      await flipByte(blobPath(dir, hash), 3);
      await expect(cas.store.get(hash)).rejects.toBeInstanceOf(CorruptBlobError);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^bzzz_cas_blobs\{[^}]*\} 1$/m);
      expect(text).toMatch(/^bzzz_cas_bytes\{[^}]*\} 1$/m);
      expect(text).toMatch(/^bzzz_cas_corrupt_total\{[^}]*\} 1$/m);
      expect(await cas.checks[0]!.run()).toBe('no cache configured');
    } finally {
      await cas.store.stop();
    }
  });
});
