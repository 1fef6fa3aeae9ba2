/**
 * The resource the claims chaos workers act on: one JetStream KV entry per task key holding
 * every effect applied to it, in order, and the highest token it has accepted. An effect is
 * applied by compare-and-set on the entry's revision and refused when its token is lower
 * than the highest accepted (the resource checks the fencing token, as Kleppmann's lock
 * demands). `checkTokens: false` (for the test that proves the checker) applies it anyway.
 * A finish is applied once; a later one is refused whatever its token.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { encodeClaimKey } from '../../src/adapters/claims/jetstream-key.js';
import type { AppliedEffect } from './history-checker.js';

export type { AppliedEffect };

export interface ResourceEntry {
  highest: number;
  applied: AppliedEffect[];
}

export type ApplyResult = 'applied' | 'stale' | 'finished';

export async function readEntry(kv: KV, key: string): Promise<{ entry: ResourceEntry; revision: number }> {
  const current = await kv.get(encodeClaimKey(key));
  if (current === null || current.operation !== 'PUT')
    return { entry: { highest: 0, applied: [] }, revision: 0 };
  return { entry: current.json<ResourceEntry>(), revision: current.revision };
}

/** Applies `effect` atomically, retrying when another writer changed the entry meanwhile. */
export async function applyEffect(
  kv: KV,
  key: string,
  effect: AppliedEffect,
  checkTokens: boolean,
): Promise<ApplyResult> {
  for (;;) {
    const { entry, revision } = await readEntry(kv, key);
    if (checkTokens && effect.token < entry.highest) return 'stale';
    if (effect.kind === 'finish' && entry.applied.some((e) => e.kind === 'finish')) return 'finished';
    const next: ResourceEntry = {
      highest: Math.max(entry.highest, effect.token),
      applied: [...entry.applied, { ...effect, at: Date.now() }],
    };
    try {
      if (revision === 0) await kv.create(encodeClaimKey(key), JSON.stringify(next));
      else await kv.update(encodeClaimKey(key), JSON.stringify(next), revision);
      return 'applied';
    } catch (error) {
      // a compare-and-set that lost to another writer: read again; anything else is a failure
      const lost =
        error instanceof JetStreamApiError &&
        (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
          error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
      if (!lost) throw error;
    }
  }
}
