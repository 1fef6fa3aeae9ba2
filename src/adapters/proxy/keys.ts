/**
 * Virtual keys and the limits and budgets around them, from one YAML file (default
 * `<data_dir>/proxy-keys.yaml`, written by `bzzz proxy key add` or by hand):
 *
 * ```yaml
 * keys:
 *   - { name: agent-1, sha256: <hex of the key's SHA-256>, rpm: 60, tpm: 100000, budget_usd: 5 }
 * models:
 *   gpt-4o-mini: { rpm: 500, tpm: 200000 }
 * task_budget_usd: 2      # every task's budget, over all keys
 * ```
 *
 * Only hashes are kept: a key is shown once, when it is made. The proxy reads the file again
 * when a request brings a key it does not know and the file changed, and at most every few
 * seconds otherwise, so keys added or removed while it runs take effect without a restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { ProxyConfigError } from './errors.js';

const limit = z.number().int().positive().max(1_000_000_000);
const usd = z.number().nonnegative().max(1_000_000_000);
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const keyEntry = z.strictObject({
  name: z.string().regex(KEY_NAME, 'letters, digits, _, . and - (at most 63)'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  rpm: limit.optional(),
  tpm: limit.optional(),
  budget_usd: usd.optional(),
  created: z.string().max(100).optional(),
});
const modelLimits = z.strictObject({ rpm: limit.optional(), tpm: limit.optional() });
export const keysFileSchema = z.strictObject({
  keys: z.array(keyEntry).max(100_000).default([]),
  models: z.record(z.string().min(1).max(200), modelLimits).default({}),
  task_budget_usd: usd.optional(),
});
export type KeysFile = z.infer<typeof keysFileSchema>;

/** A virtual key as the proxy knows it. */
export interface VirtualKey {
  name: string;
  sha256: string;
  rpm?: number | undefined;
  tpm?: number | undefined;
  budgetUsd?: number | undefined;
}

export interface ModelLimits {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

/** What the keys file says, indexed for the request path. */
export interface ProxyPolicy {
  keys: ReadonlyMap<string, VirtualKey>;
  models: ReadonlyMap<string, ModelLimits>;
  taskBudgetUsd?: number | undefined;
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new virtual key: `sk-bzzz-` and 32 random bytes, base64url. */
export const generateKey = (): string => `sk-bzzz-${randomBytes(32).toString('base64url')}`;

/** Parses the text of a keys file; `label` names it in errors. Empty text is no keys. */
export function parseKeysFile(text: string, label: string): KeysFile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ProxyConfigError(label, `not valid YAML: ${describeError(error).split('\n')[0]}`);
  }
  const parsed = keysFileSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProxyConfigError(label, `${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const k of parsed.data.keys) {
    if (names.has(k.name)) throw new ProxyConfigError(label, `the key name ${k.name} appears twice`);
    if (hashes.has(k.sha256)) throw new ProxyConfigError(label, `the key of ${k.name} appears twice`);
    names.add(k.name);
    hashes.add(k.sha256);
  }
  return parsed.data;
}

export function policyOf(file: KeysFile): ProxyPolicy {
  return {
    keys: new Map(
      file.keys.map((k) => [
        k.sha256,
        { name: k.name, sha256: k.sha256, rpm: k.rpm, tpm: k.tpm, budgetUsd: k.budget_usd },
      ]),
    ),
    models: new Map(Object.entries(file.models)),
    taskBudgetUsd: file.task_budget_usd,
  };
}

const EMPTY: ProxyPolicy = { keys: new Map(), models: new Map() };
const RECHECK_MS = 3_000;

/** The keys file, loaded, and read again when it changes. */
export class KeyRing {
  #policy: ProxyPolicy = EMPTY;
  #version = '';
  #checkedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    private readonly components: { clock: Clock; logger: Logger },
  ) {}

  get policy(): ProxyPolicy {
    return this.#policy;
  }

  /** Reads the file; a missing file is no keys, a bad one throws {@link ProxyConfigError}. */
  async load(): Promise<void> {
    const version = await this.#fileVersion();
    this.#checkedAt = this.components.clock.now();
    if (version === this.#version) return;
    const text =
      version === 'absent'
        ? ''
        : await readFile(this.path, 'utf8').catch((error: unknown) => {
            const code = (error as NodeJS.ErrnoException).code;
            throw new ProxyConfigError(this.path, `cannot read: ${code ?? 'error'}`);
          });
    this.#policy = policyOf(parseKeysFile(text, this.path));
    this.#version = version;
  }

  /** The virtual key a bearer token stands for, reading the file again when it may be new. */
  async lookup(token: string): Promise<VirtualKey | undefined> {
    const sha = hashKey(token);
    const known = this.#policy.keys.get(sha);
    if (known === undefined) {
      await this.#refresh();
      return this.#policy.keys.get(sha);
    }
    if (this.components.clock.now() - this.#checkedAt > RECHECK_MS) void this.#refresh();
    return known;
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= this.load()
      .catch((error: unknown) => {
        this.components.logger.warn(
          { err: describeError(error) },
          'keys file unreadable: the keys read before stay',
        );
      })
      .finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #fileVersion(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw new ProxyConfigError(
        this.path,
        `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
}
