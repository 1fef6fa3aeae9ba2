/**
 * Task name records over libp2p (issue 16), the DHT network of the names port: a record is
 * published through the names service (pushed to the connected peers, put into the DHT under
 * its own key), and the node announces itself as a provider of the task under a key derived
 * from the task's name id: CIDv1 `raw` with the SHA2-256 of `bzzz task names v1\n<name id>`
 * (kad-dht takes SHA2-256 keys only, see blob-cid.ts). Resolving `*` needs every node that
 * published for a task: the providers of that key are those nodes, and each one's record is
 * resolved through the names service (its owner when connected, else the peers that hold it,
 * else the DHT walk, which still finds the record of a node that is gone).
 */
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { nameOfRecord, parseTaskRecordPath, taskRecordPath, type NameRecord } from '../../protocol/index.js';
import type { FoundNameRecord, TaskArtifactPath, TaskNameNetwork } from '../names/index.js';
import { RAW_CODEC, SHA2_256_MULTIHASH } from './blob-cid.js';
import type { NameService } from './names.js';
import type { P2PNode } from './node.js';
import type { Libp2pNode } from './types.js';

const PROVIDER_DOMAIN = 'bzzz task names v1\n';

/** The DHT key whose providers are the nodes that published records of a task. */
export function taskProviderKey(nameId: string): CID {
  const digest = createHash('sha256').update(PROVIDER_DOMAIN).update(nameId, 'utf8').digest();
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256_MULTIHASH, new Uint8Array(digest)));
}

export interface DhtTaskNamesInit {
  /** Providers asked at most for one lookup (default 64). */
  maxProviders?: number;
  /** How long announcing this node as a task's provider may take (default 15 s). */
  provideTimeoutMs?: number;
}

export class DhtTaskNames implements TaskNameNetwork {
  readonly source = 'dht';
  readonly #init: Required<DhtTaskNamesInit>;
  readonly #names: NameService;
  readonly #logger: Logger;
  #node: Libp2pNode | undefined;
  readonly #unfollow: () => void;

  constructor(init: DhtTaskNamesInit, components: { names: NameService; p2p: P2PNode; logger: Logger }) {
    this.#init = { maxProviders: 64, provideTimeoutMs: 15_000, ...init };
    this.#names = components.names;
    this.#logger = components.logger;
    this.#unfollow = components.p2p.follow({
      attach: (node) => {
        this.#node = node;
        return Promise.resolve();
      },
      detach: () => {
        this.#node = undefined;
        return Promise.resolve();
      },
    });
  }

  /** Stops following the libp2p node. Safe to call twice. */
  close(): void {
    this.#unfollow();
    this.#node = undefined;
  }

  async publish(record: NameRecord): Promise<void> {
    const parsed = parseTaskRecordPath(nameOfRecord(record).path);
    if (parsed === undefined) throw new TypeError(`${record.path} is no task name`);
    await this.#names.publishRecord(record);
    const node = this.#node;
    if (node === undefined) return;
    try {
      await node.contentRouting.provide(taskProviderKey(parsed.nameId), {
        signal: AbortSignal.timeout(this.#init.provideTimeoutMs),
      });
    } catch (error) {
      // the record went out; only `*` lookups of nodes that missed the push depend on this
      this.#logger.debug(
        { task: parsed.nameId, err: describeError(error) },
        'task provider record incomplete',
      );
    }
  }

  async find(nameId: string, artifact: TaskArtifactPath, signal: AbortSignal): Promise<FoundNameRecord[]> {
    const providers = await this.#providers(nameId, signal);
    const path = taskRecordPath(nameId, artifact);
    const found = await Promise.all(
      [...providers].map(async (node): Promise<FoundNameRecord | undefined> => {
        try {
          const resolved = await this.#names.resolve({ node, path });
          return { record: resolved.record, node };
        } catch {
          return undefined; // a provider with no record of this artifact
        }
      }),
    );
    return found.filter((f) => f !== undefined);
  }

  /** The nodes that provide the task's key, found until the walk ends or `signal` aborts. */
  async #providers(nameId: string, signal: AbortSignal): Promise<Set<string>> {
    const node = this.#node;
    const found = new Set<string>();
    if (node === undefined) return found;
    try {
      for await (const provider of node.contentRouting.findProviders(taskProviderKey(nameId), { signal })) {
        found.add(provider.id.toString());
        if (found.size >= this.#init.maxProviders) break;
      }
    } catch (error) {
      // the deadline, or a walk that failed part way: what was found still counts
      this.#logger.debug({ task: nameId, err: describeError(error) }, 'task provider walk ended early');
    }
    return found;
  }
}
