import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalEncodingError, canonicalJson, inspectJson, MAX_DEPTH } from '../../src/protocol/index.js';

/** Rebuilds an object tree with every object's keys inserted in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    const member = reversed((value as Record<string, unknown>)[key]);
    // an own `__proto__` member (JSON.parse and fast-check make them) stays a member: a plain
    // assignment would set the prototype instead
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: member, enumerable: true, writable: true });
    else out[key] = member;
  }
  return out;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 1; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return { top: value };
}

const json = fc.jsonValue({ maxDepth: 6 });

describe('canonicalJson', () => {
  it('sorts keys, drops white space and undefined members', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, '': { z: 0, y: -0 } })).toBe(
      '{"":{"y":0,"z":0},"a":[true,null,"x"],"b":1}',
    );
  });

  it('orders keys by UTF-16 code units, array-index keys included (RFC 8785)', () => {
    expect(canonicalJson({ '10': 1, '9': 2, b: 3, A: 4, é: 5, '😀': 6, '\ufb33': 7 })).toBe(
      '{"10":1,"9":2,"A":4,"b":3,"é":5,"😀":6,"\ufb33":7}',
    );
  });

  it('writes numbers in shortest round-trip form', () => {
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, 333333333.3333333, -0, 5e-324])).toBe(
      '[1e+21,1e-7,0.30000000000000004,333333333.3333333,0,5e-324]',
    );
  });

  it('gives the same bytes whatever the key order', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(reversed(value))).toBe(canonicalJson(value));
      }),
    );
    const tricky = JSON.parse('{"b":1,"__proto__":{"y":2,"x":1},"a":[{"__proto__":0,"c":1}]}') as unknown;
    expect(canonicalJson(reversed(tricky))).toBe(
      '{"__proto__":{"x":1,"y":2},"a":[{"__proto__":0,"c":1}],"b":1}',
    );
  });

  it('is stable through a parse: a receiver re-encodes exactly what was signed', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('sorts objects out of order wherever they sit, and leaves ordered ones as they are', () => {
    const shared = { a: 1, b: [2, { c: 3 }] };
    expect(canonicalJson({ a: shared, b: { y: shared, x: [{ q: 1, p: 2 }, shared] } })).toBe(
      '{"a":{"a":1,"b":[2,{"c":3}]},"b":{"x":[{"p":2,"q":1},{"a":1,"b":[2,{"c":3}]}],"y":{"a":1,"b":[2,{"c":3}]}}}',
    );
    // Array-index keys: ordered as V8 lists them, or sorted by the hand-written encoder.
    expect(canonicalJson({ z: { '1': 1, '2': 2, a: 3 }, a: 0 })).toBe('{"a":0,"z":{"1":1,"2":2,"a":3}}');
    expect(canonicalJson({ a: [{ '10': 1, '9': 2 }] })).toBe('{"a":[{"10":1,"9":2}]}');
    expect(canonicalJson({ b: { '10': 1, '9': 2 }, a: 1 })).toBe('{"a":1,"b":{"10":1,"9":2}}');
    // Many keys (the native sort), undefined members dropped where objects are rebuilt.
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${(i * 7) % 40}`, i]));
    expect(canonicalJson({ many, u: undefined })).toBe(
      `{"many":{${Object.keys(many)
        .sort()
        .map((k) => `"${k}":${many[k]}`)
        .join(',')}}}`,
    );
    expect(canonicalJson({ b: { d: undefined, c: 1 }, a: undefined })).toBe('{"b":{"c":1}}');
  });

  it('keeps an own __proto__ member, in order or not', () => {
    for (const text of [
      '{"__proto__":{"x":1},"a":1}',
      '{"a":1,"__proto__":{"x":1}}',
      '{"b":{"a":1,"__proto__":{"y":2,"x":1}},"a":0}',
    ]) {
      const canonical = canonicalJson(JSON.parse(text));
      expect(canonical).toContain('"__proto__":{"x":1');
      expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
    }
  });

  it('does not change the value it encodes', () => {
    fc.assert(
      fc.property(json, (value) => {
        const before = JSON.stringify(value);
        canonicalJson(reversed(value));
        canonicalJson(value);
        expect(JSON.stringify(value)).toBe(before);
      }),
    );
  });

  it('refuses values that are not JSON, saying where', () => {
    const cases: [unknown, RegExp][] = [
      [{ a: [1, undefined] }, /\$\.a\[1\]/],
      [{ a: { b: Number.NaN } }, /\$\.a\.b/],
      [{ n: 1n }, /bigint/],
      [{ d: new Date(0) }, /plain object/],
      [{ f: () => 1 }, /function/],
      [nested(MAX_DEPTH + 1), /deeper/],
    ];
    for (const [value, message] of cases) {
      expect(() => canonicalJson(value)).toThrow(CanonicalEncodingError);
      expect(() => canonicalJson(value)).toThrow(message);
    }
    expect(() => canonicalJson(nested(MAX_DEPTH))).not.toThrow();
  });
});

describe('inspectJson', () => {
  it('stops at the depth limit on any nesting, without recursing further', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(inspectJson(deep)).toBe('invalid');
    expect(inspectJson({ b: 1, a: 2 })).toBe('unsorted');
    expect(inspectJson({ a: 2, b: [{ c: 1 }] })).toBe('sorted');
    // V8 lists array-index keys first in numeric order: never the canonical fast path.
    expect(inspectJson(JSON.parse('{"10":1,"9":2}'))).toBe('unsorted');
  });
});
