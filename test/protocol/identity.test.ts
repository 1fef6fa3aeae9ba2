import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IDENTITY_FILE,
  IdentityError,
  identityFromPrivateKey,
  libp2pRawPrivateKey,
  loadOrCreateIdentity,
  privateKeySeed,
} from '../../src/protocol/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateIdentity', () => {
  it('creates a private key file on first start and reads the same identity after', async () => {
    const dataDir = join(dir, 'data');
    const first = await loadOrCreateIdentity(dataDir);
    expect(first.created).toBe(true);
    expect(first.nodeId).toMatch(/^12D3KooW/);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect(await readFile(first.path, 'utf8')).toContain('BEGIN PRIVATE KEY');

    const second = await loadOrCreateIdentity(dataDir);
    expect(second.created).toBe(false);
    expect(second.nodeId).toBe(first.nodeId);
  });

  it('gives racing processes one identity', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIdentity(dir)));
    expect(new Set(all.map((i) => i.nodeId)).size).toBe(1);
    expect(all.filter((i) => i.created)).toHaveLength(1);
  });

  it('reads raw 32-byte seeds and libp2p 64-byte keys', async () => {
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    await writeFile(join(dir, IDENTITY_FILE), privateKeySeed(identity.privateKey), { mode: 0o600 });
    expect((await loadOrCreateIdentity(dir)).nodeId).toBe(identity.nodeId);
    await writeFile(join(dir, IDENTITY_FILE), libp2pRawPrivateKey(identity), { mode: 0o600 });
    expect((await loadOrCreateIdentity(dir)).nodeId).toBe(identity.nodeId);
  });

  it('refuses a file that is not a usable key, naming the file', async () => {
    const path = join(dir, IDENTITY_FILE);
    for (const content of ['not a key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n']) {
      await writeFile(path, content);
      await expect(loadOrCreateIdentity(dir)).rejects.toThrow(IdentityError);
      await expect(loadOrCreateIdentity(dir)).rejects.toThrow(path);
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    await writeFile(path, rsa.export({ format: 'pem', type: 'pkcs8' }));
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(/Ed25519/);
    const mismatched = Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
    await writeFile(path, mismatched);
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(/does not match/);
  });
});
