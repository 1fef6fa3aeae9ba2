/**
 * The node's identity: an Ed25519 key pair kept in `<data dir>/identity.key` as a PKCS#8 PEM
 * file with mode 0600, created on first start (SPEC §5). The node id is derived from the
 * public key. Creation is atomic (write a private temporary file, then hard-link it into
 * place), so two processes starting on one data dir end up with the same identity.
 * A file holding the raw key instead (32-byte seed, or libp2p's 64-byte seed‖public form)
 * is read too, so a key exported from a libp2p node can be reused.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IdentityError } from './errors.js';
import { nodeIdFromPublicKey, rawPublicKey, type NodeId } from './node-id.js';

/** A node's key pair and the node id derived from it. */
export interface Identity {
  readonly nodeId: NodeId;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** What {@link loadOrCreateIdentity} found or did. */
export interface LoadedIdentity extends Identity {
  /** The key file. */
  readonly path: string;
  /** True when this call created the key. */
  readonly created: boolean;
}

/** Name of the key file inside the data dir. */
export const IDENTITY_FILE = 'identity.key';

/** DER PKCS#8 header of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The identity of a private Ed25519 key. */
export function identityFromPrivateKey(privateKey: KeyObject): Identity {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError('<key>', 'not an Ed25519 private key');
  }
  const publicKey = createPublicKey(privateKey);
  return { nodeId: nodeIdFromPublicKey(rawPublicKey(publicKey)), privateKey, publicKey };
}

/** A fresh random identity (kept in memory only). */
export function generateIdentity(): Identity {
  return identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/** The 32-byte seed of an Ed25519 private key. */
export function privateKeySeed(privateKey: KeyObject): Uint8Array {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** libp2p's raw private key form (seed ‖ public key, 64 bytes), for `privateKeyFromRaw`. */
export function libp2pRawPrivateKey(identity: Identity): Uint8Array {
  const out = new Uint8Array(64);
  out.set(privateKeySeed(identity.privateKey), 0);
  out.set(rawPublicKey(identity.publicKey), 32);
  return out;
}

/** Parses a key file's content: PKCS#8 PEM, or a raw 32-byte seed or 64-byte seed‖public. */
export function parseIdentityKey(content: Buffer, path = '<key>'): Identity {
  const text = content.toString('utf8');
  try {
    if (text.includes('-----BEGIN')) return identityFromPrivateKey(createPrivateKey(text));
  } catch (error) {
    throw new IdentityError(path, 'not a valid PEM Ed25519 private key', { cause: error });
  }
  if (content.length !== 32 && content.length !== 64) {
    throw new IdentityError(path, `expected a PEM key or 32/64 raw bytes, found ${content.length} bytes`);
  }
  const seed = content.subarray(0, 32);
  const identity = identityFromPrivateKey(
    createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  );
  if (content.length === 64 && !Buffer.from(rawPublicKey(identity.publicKey)).equals(content.subarray(32))) {
    throw new IdentityError(path, 'the public half of the 64-byte key does not match its seed');
  }
  return identity;
}

/**
 * Reads `<dataDir>/identity.key`, creating the data dir and a new key (mode 0600) when there is
 * none. Throws {@link IdentityError} when the file exists but is not a usable key.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<LoadedIdentity> {
  const path = join(dataDir, IDENTITY_FILE);
  const existing = await readKey(path);
  if (existing !== undefined) return { ...parseIdentityKey(existing, path), path, created: false };

  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new IdentityError(path, 'cannot create the data dir', { cause: error });
  }
  const identity = generateIdentity();
  const pem = identity.privateKey.export({ format: 'pem', type: 'pkcs8' });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600); // the umask may have narrowed it; never widened
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new IdentityError(path, 'cannot write the key file', { cause: error });
  }
  try {
    await link(temporary, path);
  } catch (error) {
    // Another process won the race: its key is the identity.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new IdentityError(path, 'cannot write the key file', { cause: error });
    }
    const raced = await readKey(path);
    if (raced === undefined) throw new IdentityError(path, 'key file vanished while being created');
    return { ...parseIdentityKey(raced, path), path, created: false };
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  return { ...identity, path, created: true };
}

async function readKey(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError(path, 'cannot read the key file', { cause: error });
  }
}
