/**
 * `bzzz proxy key add`: a new virtual key goes into the keys file as its SHA-256 only. The
 * file is rewritten under a lock (two commands at once both land) and replaced by an atomic
 * rename (a proxy reading it sees the old file or the new one, never half of one); the YAML
 * document is edited in place, so an operator's comments and other sections stay.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lock } from 'proper-lockfile';
import { Document, parseDocument, isSeq, YAMLSeq } from 'yaml';
import { DuplicateKeyNameError, ProxyConfigError } from './errors.js';
import { generateKey, hashKey, parseKeysFile } from './keys.js';

export interface NewKeyOptions {
  name: string;
  rpm?: number | undefined;
  tpm?: number | undefined;
  budgetUsd?: number | undefined;
  /** When the key was made (ISO time); default now. */
  created?: string;
}

const HEADER = ' bzzz proxy: virtual keys (SHA-256 only), per-model limits, task budget';

/** Adds a key to the file at `path` (created if absent) and returns the key, shown once. */
export async function addVirtualKey(
  path: string,
  options: NewKeyOptions,
): Promise<{ key: string; sha256: string }> {
  const key = generateKey();
  const sha256 = hashKey(key);
  const entry: Record<string, unknown> = { name: options.name, sha256 };
  if (options.rpm !== undefined) entry.rpm = options.rpm;
  if (options.tpm !== undefined) entry.tpm = options.tpm;
  if (options.budgetUsd !== undefined) entry.budget_usd = options.budgetUsd;
  entry.created = options.created ?? new Date().toISOString();
  await withFileLock(path, async () => {
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return '';
      throw new ProxyConfigError(path, `cannot read: ${code ?? 'error'}`);
    });
    const current = parseKeysFile(text, path);
    if (current.keys.some((k) => k.name === options.name)) throw new DuplicateKeyNameError(options.name);
    const doc: Document = parseDocument(text);
    if (doc.contents === null) {
      doc.contents = doc.createNode({ keys: [] });
      doc.commentBefore = HEADER;
    }
    let keys = doc.get('keys');
    if (!isSeq(keys)) {
      keys = new YAMLSeq();
      doc.set('keys', keys);
    }
    (keys as YAMLSeq).add(doc.createNode(entry));
    const next = doc.toString();
    parseKeysFile(next, path);
    await writeAtomically(path, next);
  });
  return { key, sha256 };
}

async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const release = await lock(path, {
    realpath: false,
    lockfilePath: `${path}.lock`,
    stale: 10_000,
    retries: { retries: 200, minTimeout: 5, maxTimeout: 50, factor: 1.3, randomize: true },
    onCompromised: () => undefined,
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Written beside the target (mode 0600: it names every key's hash and budget) and renamed. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, text, { mode: 0o600, flush: true });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
