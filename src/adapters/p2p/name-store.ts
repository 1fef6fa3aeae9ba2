/**
 * The name records a node holds: its own (it signed them, so it knows they are the newest) and
 * those it learned from peers (pushed at publication, or found while resolving), each checked
 * before it got here. One record per name, the newest: an older record offered later (a
 * replay) never replaces a newer one. Bounded; when full, the oldest learned record goes
 * first, and an own record only when nothing learned is left (it is still in the DHT).
 */
import { compareNameRecords, formatActorPath, type NameRecord, type NameRef } from '../../protocol/index.js';

interface Held {
  readonly record: NameRecord;
  readonly own: boolean;
}

/** A bounded map from a name's key text (`<node id>/<path>`) to its newest checked record. */
export class NameStore {
  readonly #held = new Map<string, Held>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Records held. */
  get size(): number {
    return this.#held.size;
  }

  /** The newest record held for `key`, own or learned. */
  get(key: string): NameRecord | undefined {
    return this.#held.get(key)?.record;
  }

  /** The record for `key` when this node published it. */
  own(key: string): NameRecord | undefined {
    const held = this.#held.get(key);
    return held?.own === true ? held.record : undefined;
  }

  /** Own records, to publish again when the node starts again. */
  owned(): NameRecord[] {
    return [...this.#held.values()].filter((held) => held.own).map((held) => held.record);
  }

  /** Keeps `record` (already checked) unless a newer one is held; true when it was kept. */
  offer(key: string, record: NameRecord, own: boolean): boolean {
    const held = this.#held.get(key);
    if (held !== undefined) {
      if (compareNameRecords(record, held.record) <= 0) return false;
      this.#held.delete(key); // re-inserted below: the newest goes last in eviction order
    } else if (this.#held.size >= this.#max) {
      this.#evict();
    }
    this.#held.set(key, { record, own: own || held?.own === true });
    return true;
  }

  #evict(): void {
    let victim: string | undefined;
    for (const [key, held] of this.#held) {
      if (!held.own) {
        victim = key;
        break;
      }
      victim ??= key;
    }
    if (victim !== undefined) this.#held.delete(victim);
  }
}

/** `<node id>/<escaped path>`: a name's key in the store (its DHT key without `/bzzz/`). */
export function storeKey(node: string, escapedPath: string): string {
  return `${node}/${escapedPath}`;
}

/** A name's key text in the store. */
export function keyText(name: NameRef): string {
  return storeKey(name.node, formatActorPath(name.path));
}

/** The newer of two records (either may be missing). */
export function newest(a: NameRecord | undefined, b: NameRecord | undefined): NameRecord | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareNameRecords(a, b) >= 0 ? a : b;
}
