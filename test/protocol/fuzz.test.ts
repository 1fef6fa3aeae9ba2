/**
 * 100,000 random and mutated envelopes through decodeEnvelope: nothing throws, every input is
 * classified, the counts add up, and only the genuine first copies are accepted.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/lib/clock.js';
import {
  decodeEnvelope,
  generateIdentity,
  MAX_ENVELOPE_BYTES,
  MESSAGE_TYPES,
  REJECT_REASONS,
  ReplayGuard,
  type RejectReason,
} from '../../src/protocol/index.js';
import { sampleData, signedMessage } from './fixtures.js';

const TOTAL = 100_000;
const POOL = 400;
const SEED = Number(process.env.BZZZ_FUZZ_SEED ?? 0x5eed);

/** mulberry32: a small seeded generator, so a failure can be replayed with its seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Category =
  | 'truncated'
  | 'flipped'
  | 'wrong_type'
  | 'huge'
  | 'oversize'
  | 'deep'
  | 'bad_sig'
  | 'forged_from'
  | 'stranger'
  | 'from_self'
  | 'replay'
  | 'newer'
  | 'garbage'
  | 'random_json';

const CATEGORIES: readonly Category[] = [
  'truncated',
  'flipped',
  'flipped',
  'wrong_type',
  'wrong_type',
  'huge',
  'oversize',
  'deep',
  'bad_sig',
  'forged_from',
  'stranger',
  'from_self',
  'replay',
  'newer',
  'garbage',
  'random_json',
  'random_json',
];

/** The reason each category must get, where only one is right. */
const EXPECTED: Partial<Record<Category, RejectReason>> = {
  oversize: 'too_large',
  deep: 'too_deep',
  bad_sig: 'bad_signature',
  forged_from: 'bad_signature',
  stranger: 'not_member',
  from_self: 'from_self',
  replay: 'replayed',
  newer: 'unsupported_version',
};

describe('decodeEnvelope under fuzzing', () => {
  it(`classifies ${TOTAL.toLocaleString('en')} hostile inputs without throwing`, () => {
    const rand = generator(SEED);
    const clock = new SimulatedClock(Date.now());
    const alice = generateIdentity();
    const bob = generateIdentity();
    const self = generateIdentity();
    const carol = generateIdentity(); // not a member of the cluster
    const samples = sampleData(alice.nodeId);
    const pool = Array.from({ length: POOL }, (_, i) => {
      const type = MESSAGE_TYPES[i % MESSAGE_TYPES.length]!;
      return signedMessage(alice, type, samples[type], clock).bytes.toString();
    });
    const seen = new ReplayGuard({ clock });
    const members = new Set([alice.nodeId, bob.nodeId, self.nodeId]);
    const options = { verify: true, self: self.nodeId, seen, members };

    const randomValue = (depth = 0): unknown => {
      switch (rand.int(depth > 3 ? 5 : 7)) {
        case 0:
          return null;
        case 1:
          return rand.next() < 0.5;
        case 2:
          return rand.pick([0, -1, 1.5, 1e308, 2 ** 53 + 2, -0]);
        case 3:
          return 'x'.repeat(rand.int(40));
        case 4:
          return rand.pick(['', '1', 'bzzz://', '12D3KooW', '\u0000', '\ud800', 'local:demo/app#3']);
        case 5:
          return Array.from({ length: rand.int(4) }, () => randomValue(depth + 1));
        default:
          return Object.fromEntries(
            Array.from({ length: rand.int(4) }, () => [
              rand.pick(['v', 'id', 'type', 'data', 'sig', 'x']),
              randomValue(depth + 1),
            ]),
          );
      }
    };
    const mutateField = (text: string, change: (raw: Record<string, unknown>) => void): string => {
      const raw = JSON.parse(text) as Record<string, unknown>;
      change(raw);
      return JSON.stringify(raw);
    };
    // Big inputs are built once: what matters is that they reach the decoder, not their bytes.
    const oversize = [
      `{"data":"${'o'.repeat(MAX_ENVELOPE_BYTES)}"}`,
      Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 0x7b),
    ];
    const hugeStrings = [20_000, 70_000, 200_000].map((n) => 'h'.repeat(n));
    const fields = ['v', 'id', 'type', 'from', 'to', 'timestamp', 'corr', 'hop_count', 'data', 'sig'];

    const make = (category: Category): string | Uint8Array => {
      const base = rand.pick(pool);
      switch (category) {
        case 'truncated':
          return base.slice(0, rand.int(base.length));
        case 'flipped': {
          const bytes = Buffer.from(base);
          for (let n = 1 + rand.int(3); n > 0; n--) {
            const at = rand.int(bytes.length);
            bytes[at] = (bytes[at] ?? 0) ^ (1 << rand.int(8));
          }
          return bytes;
        }
        case 'wrong_type':
          return mutateField(base, (raw) => {
            const field = rand.pick(fields);
            if (field === 'data' && rand.next() < 0.5 && typeof raw.data === 'object' && raw.data !== null) {
              const data = raw.data as Record<string, unknown>;
              data[rand.pick([...Object.keys(data), 'extra'])] = randomValue();
            } else {
              raw[field] = randomValue();
            }
          });
        case 'huge':
          return mutateField(base, (raw) => {
            const data = raw.data as Record<string, unknown>;
            data[rand.pick(Object.keys(data))] = rand.pick(hugeStrings);
          });
        case 'oversize':
          return rand.pick(oversize);
        case 'deep': {
          const depth = 33 + rand.int(rand.next() < 0.1 ? 100_000 : 1_000);
          return mutateField(base, (raw) => (raw.data = '<deep>')).replace(
            '"<deep>"',
            `${'['.repeat(depth)}${']'.repeat(depth)}`,
          );
        }
        case 'bad_sig':
          return mutateField(base, (raw) => {
            const sig = Buffer.alloc(64);
            for (let i = 0; i < 64; i++) sig[i] = rand.int(256);
            raw.sig = sig.toString('base64');
          });
        case 'forged_from':
          return mutateField(base, (raw) => (raw.from = bob.nodeId));
        case 'stranger':
          return mutateField(base, (raw) => (raw.from = carol.nodeId));
        case 'from_self':
          return mutateField(base, (raw) => (raw.from = self.nodeId));
        case 'replay':
          return base;
        case 'newer':
          return mutateField(base, (raw) => (raw.v = 2 + rand.int(100)));
        case 'garbage':
          return Buffer.from(Array.from({ length: rand.int(300) }, () => rand.int(256)));
        case 'random_json':
          return JSON.stringify(randomValue());
      }
    };

    const counts = new Map<string, number>();
    const byCategory = new Map<Category | 'genuine', Map<string, number>>();
    let thrown = 0;
    const record = (category: Category | 'genuine', input: string | Uint8Array): void => {
      let outcome: string;
      try {
        const result = decodeEnvelope(input, options);
        outcome = result.ok ? 'accepted' : result.reason;
      } catch {
        thrown++;
        outcome = 'threw';
      }
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      const mine = byCategory.get(category) ?? new Map<string, number>();
      mine.set(outcome, (mine.get(outcome) ?? 0) + 1);
      byCategory.set(category, mine);
    };

    for (const genuine of pool) record('genuine', genuine);
    for (let i = POOL; i < TOTAL; i++) {
      const category = rand.pick(CATEGORIES);
      record(category, make(category));
    }
    expect(thrown).toBe(0);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);
    for (const outcome of counts.keys()) expect(['accepted', ...REJECT_REASONS]).toContain(outcome);
    expect(counts.get('internal') ?? 0).toBe(0);
    expect(counts.get('accepted')).toBe(POOL);
    expect(byCategory.get('genuine')).toEqual(new Map([['accepted', POOL]]));
    for (const [category, reason] of Object.entries(EXPECTED)) {
      const outcomes = byCategory.get(category as Category);
      expect(outcomes && [...outcomes.keys()], category).toEqual([reason]);
    }
    // Every kind of rejection was exercised, so none of the checks above passed vacuously.
    for (const reason of REJECT_REASONS.filter((r) => r !== 'internal' && r !== 'stale')) {
      expect(counts.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
  }, 60_000);
});
