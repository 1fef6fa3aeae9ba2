/**
 * The hand-written fast checks of the envelope frame and of the common data types against
 * their zod schemas, the reference: on valid, mutated and random input both give the same
 * verdict, the same output (members, order) and the same explanation, and `decodeEnvelope`
 * rejects for the same reason as a schema-only reading would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEnvelope,
  decodeEnvelope,
  envelopeSchema,
  fastEnvelopeFrame,
  generateIdentity,
  isMessageType,
  messageSchemas,
  parseEnvelopeFrame,
  PROTOCOL_VERSION,
  sealEnvelope,
  type MessageType,
} from '../../src/protocol/index.js';
import { FAST_TYPES, fastMessageData, parseMessageData, SLOW } from '../../src/protocol/fast-data.js';
import { sampleData } from './fixtures.js';

const alice = generateIdentity();
const samples = sampleData(alice.nodeId);
const node = alice.nodeId;
const address = `bzzz://${node}/work/tasks/local:demo%2Fapp%233`;

/** Valid data of the fast types, beyond the fixtures: every branch and optional member. */
const VALID: [MessageType, unknown][] = [
  ...FAST_TYPES.map((type): [MessageType, unknown] => [type, samples[type]]),
  ['actor_reply', { corr: 'c-2', ok: true, payload: { list: [1, 'a', null] } }],
  ['actor_reply', { corr: 'c:3@x/y+z=', ok: true, payload: null }],
  ['actor_message', { to: address, type: 'a', payload: 0 }],
  ['task_progress', { task: 'local:demo/app#3', node, state: 'done', message: 'ok' }],
  ['availability_broadcast', { node, status: 'draining', load: 0, maxTasks: 0, tasks: [] }],
];

/** Values that sit on or just past the limits the schemas check. */
const EDGES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  1.5,
  255,
  256,
  2 ** 53 - 1,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(129),
  'x'.repeat(257),
  'x'.repeat(16 * 1024 + 1),
  ' c',
  'c-1',
  '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  '81HZZZZZZZZZZZZZZZZZZZZZZZ',
  '01HZZZZZZZZZZZZZZZZZZZZZZI',
  '2024-01-01T00:00:10.000Z',
  '2024-02-30T00:00:10Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T00:00:00+01:00',
  '2024-01-01T00:00',
  address,
  `bzzz://${node}/`,
  `bzzz://${node}/a/../b`,
  node,
  node.slice(0, -1),
  'local:demo/app#3',
  'local:demo/app',
  'task.step',
  '1task',
  'working',
  'ready',
  'A'.repeat(86) + 'A==',
  'A'.repeat(85) + 'Q==',
  [],
  [1],
  ['local:demo/app#3'],
  Array.from({ length: 257 }, () => 'local:demo/app#3'),
  {},
  { a: 1 },
  { message: 'm', name: 'n', retryable: true },
  { message: 'm', name: '', retryable: true },
  Object.create(null) as unknown,
  new Date(0),
];

const edge = fc.constantFrom(...EDGES);
const anyValue = fc.oneof(edge, fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 2 }));

type Mutation = { path: string[]; op: 'set' | 'delete'; value?: unknown };

/** A deep copy of `base` with `mutations` applied where their paths still lead somewhere. */
function mutate(base: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone<unknown>(base);
  for (const { path, op, value } of mutations) {
    if (path.length === 0) continue;
    let target: unknown = copy;
    for (const step of path.slice(0, -1)) {
      if (typeof target !== 'object' || target === null) break;
      target = (target as Record<string, unknown>)[step];
    }
    if (typeof target !== 'object' || target === null) continue;
    const key = path[path.length - 1]!;
    if (op === 'delete') Reflect.deleteProperty(target, key);
    else (target as Record<string, unknown>)[key] = value;
  }
  return copy;
}

/** Paths into `value` (objects and arrays), plus one unknown member per object. */
function pathsOf(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (typeof value !== 'object' || value === null) return out;
  out.push([...prefix, 'unknownMember']);
  for (const key of Object.keys(value)) {
    out.push([...prefix, key]);
    pathsOf((value as Record<string, unknown>)[key], [...prefix, key], out);
  }
  return out;
}

function mutations(base: unknown): fc.Arbitrary<Mutation[]> {
  const paths = pathsOf(base);
  const one = fc.record({
    path: fc.constantFrom(...paths),
    op: fc.constantFrom<'set' | 'delete'>('set', 'set', 'delete'),
    value: anyValue,
  });
  return fc.array(one, { minLength: 0, maxLength: 3 });
}

/** Every single change: each path deleted, and set to each edge value. */
function singleChanges(base: unknown): Mutation[][] {
  const out: Mutation[][] = [];
  for (const path of pathsOf(base)) {
    out.push([{ path, op: 'delete' }]);
    for (const value of EDGES) out.push([{ path, op: 'set', value }]);
  }
  return out;
}

type Parsed = { success: true; data: unknown } | { success: false; error: z.ZodError };

/** The fast result matches the schema's: verdict, members and their order, explanation. */
function expectSame(ours: Parsed, reference: Parsed): void {
  expect(ours.success).toBe(reference.success);
  if (ours.success && reference.success) {
    expect(ours.data).toStrictEqual(reference.data);
    expect(JSON.stringify(ours.data)).toBe(JSON.stringify(reference.data));
  } else if (!ours.success && !reference.success) {
    expect(z.prettifyError(ours.error)).toBe(z.prettifyError(reference.error));
  }
}

/** A wire envelope as a plain object. */
function wireFrame(type: MessageType, data: unknown, signed: boolean): Record<string, unknown> {
  const unsigned = createEnvelope({ type, from: node, data: data as never, to: address, corr: 'c-1' });
  const { bytes } = sealEnvelope(unsigned, signed ? alice.privateKey : null);
  return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
}

describe('fast data checks', () => {
  it('vouch for every valid sample, with exactly what the schema returns', () => {
    for (const [type, data] of VALID) {
      const fast = fastMessageData(type, data);
      expect(fast, type).not.toBe(SLOW);
      expectSame({ success: true, data: fast }, messageSchemas[type].safeParse(data));
    }
  });

  for (const [type, base] of VALID) {
    it(`agree with the schema of ${type} on every single change`, () => {
      for (const changes of singleChanges(base)) {
        const input = mutate(base, changes);
        expectSame(parseMessageData(type, input), messageSchemas[type].safeParse(input));
      }
    });

    it(`agree with the schema of ${type} on mutated input`, () => {
      fc.assert(
        fc.property(mutations(base), (changes) => {
          const input = mutate(base, changes);
          expectSame(parseMessageData(type, input), messageSchemas[type].safeParse(input));
        }),
        { numRuns: 400 },
      );
    });
  }

  it('agree with the schemas on random input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAST_TYPES), anyValue, (type, input) => {
        expectSame(parseMessageData(type, input), messageSchemas[type].safeParse(input));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fast frame check', () => {
  const frames = [
    wireFrame('actor_message', samples.actor_message, true),
    wireFrame('task_progress', samples.task_progress, false),
    (() => {
      const bare = createEnvelope({
        type: 'election_heartbeat',
        from: node,
        data: samples.election_heartbeat,
      });
      return JSON.parse(sealEnvelope(bare, null).bytes.toString('utf8')) as Record<string, unknown>;
    })(),
  ];

  it('vouches for what bzzz sends, with exactly what the schema returns', () => {
    for (const frame of frames) {
      const fast = fastEnvelopeFrame(frame);
      expect(fast).toBeDefined();
      expectSame({ success: true, data: fast }, envelopeSchema.safeParse(frame));
    }
  });

  for (const [i, base] of frames.entries()) {
    it(`agrees with the schema on every single change of a frame (${i})`, () => {
      for (const changes of singleChanges(base)) {
        const input = mutate(base, changes);
        expectSame(parseEnvelopeFrame(input), envelopeSchema.safeParse(input));
      }
    });

    it(`agrees with the schema on mutated frames (${i})`, () => {
      fc.assert(
        fc.property(mutations(base), (changes) => {
          const input = mutate(base, changes);
          expectSame(parseEnvelopeFrame(input), envelopeSchema.safeParse(input));
        }),
        { numRuns: 600 },
      );
    });
  }

  it('agrees with the schema on random input', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.dictionary(fc.string(), anyValue)), (input) => {
        expectSame(parseEnvelopeFrame(input), envelopeSchema.safeParse(input));
      }),
      { numRuns: 1000 },
    );
  });
});

/** What decoding says about frame, type and data when only the schemas are asked. */
function schemaVerdict(raw: Record<string, unknown>): string {
  const v = raw.v;
  if (typeof v === 'number' && Number.isInteger(v) && v > PROTOCOL_VERSION) return 'unsupported_version';
  const frame = envelopeSchema.safeParse(raw);
  if (!frame.success) return 'schema';
  if (!isMessageType(frame.data.type)) return 'unknown_type';
  return messageSchemas[frame.data.type].safeParse(frame.data.data).success ? 'ok' : 'bad_data';
}

describe('decodeEnvelope with the fast paths', () => {
  const base = wireFrame('actor_message', samples.actor_message, false);

  it('rejects for the reason the schemas give, and accepts what they accept', () => {
    fc.assert(
      fc.property(mutations(base), (changes) => {
        const input = mutate(base, changes) as Record<string, unknown>;
        const text = JSON.stringify(input);
        const reference = schemaVerdict(JSON.parse(text) as Record<string, unknown>);
        const result = decodeEnvelope(text, { verify: false });
        if (result.ok) expect(reference).toBe('ok');
        else if (reference !== 'ok') expect(result.reason).toBe(reference);
        else
          expect(['schema', 'unknown_type', 'bad_data', 'unsupported_version']).not.toContain(result.reason);
      }),
      { numRuns: 600 },
    );
  });
});
