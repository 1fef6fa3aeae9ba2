/**
 * Name records as kad-dht's validator and selector see them: a record signed by its name's
 * node passes; a forged one (signed by another node, claiming the owner), one filed under
 * another name's key, a tampered one, a malformed or oversized one are refused with a named
 * problem; among valid records the highest `seq` wins, and a tie is broken the same way on
 * every node.
 */
import { sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkNameRecord,
  compareNameRecords,
  decodeNameRecord,
  encodeNameRecord,
  formatName,
  generateIdentity,
  InvalidNameRecordError,
  MAX_NAME_RECORD_BYTES,
  nameKey,
  nextNameSeq,
  parseNameKey,
  selectNameRecord,
  signNameRecord,
  validateNameRecord,
  type NameRecord,
  type NameRecordProblem,
} from '../../src/protocol/index.js';

const owner = generateIdentity();
const other = generateIdentity();
const name = { node: owner.nodeId, path: ['demo~calc:1', 'log'] };
const key = nameKey(name);
const hash = 'bzzz://blob/' + 'ab'.repeat(32);

function problemOf(run: () => unknown): NameRecordProblem | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidNameRecordError);
    return (error as InvalidNameRecordError).problem;
  }
}

const bytes = (record: object): Uint8Array => Buffer.from(JSON.stringify(record), 'utf8');

describe('name records', () => {
  it('are keyed /bzzz/<node id>/<escaped path>, and the key gives the name back', () => {
    const text = Buffer.from(key).toString('utf8');
    expect(text).toBe(`/bzzz/${owner.nodeId}/demo~calc:1/log`);
    expect(parseNameKey(key)).toEqual(name);
    expect(formatName(name)).toBe(`bzzz://${owner.nodeId}/demo~calc:1/log`);
    const spaced = { node: owner.nodeId, path: ['local:demo/app#3', 'diff'] };
    expect(parseNameKey(nameKey(spaced))).toEqual(spaced);
  });

  it('pass the validator when signed by the node they name, and round-trip through the wire form', () => {
    const record = signNameRecord(name, hash, 1000, owner.privateKey);
    expect(() => validateNameRecord(key, encodeNameRecord(record))).not.toThrow();
    expect(decodeNameRecord(encodeNameRecord(record))).toEqual(record);
  });

  it('refuse a record signed by another node than the one they name (forged)', () => {
    // other signs a record claiming owner's name: the signature is valid, but not owner's
    const forged = signNameRecordAs(name, hash, 2000, other);
    expect(problemOf(() => validateNameRecord(key, encodeNameRecord(forged)))).toBe('bad_signature');
    // and signing for a name of another node through the API is refused outright
    expect(problemOf(() => signNameRecord(name, hash, 2000, other.privateKey))).toBe('bad_signature');
  });

  it("refuse a valid record of one node filed under another node's key (wrong signer for the key)", () => {
    const own = signNameRecord({ node: other.nodeId, path: name.path }, hash, 3000, other.privateKey);
    expect(() => checkNameRecord(own)).not.toThrow();
    expect(problemOf(() => validateNameRecord(key, encodeNameRecord(own)))).toBe('wrong_key');
    const otherPath = signNameRecord({ node: owner.nodeId, path: ['x'] }, hash, 3000, owner.privateKey);
    expect(problemOf(() => validateNameRecord(key, encodeNameRecord(otherPath)))).toBe('wrong_key');
  });

  it('refuse a tampered record: any changed member breaks the signature', () => {
    const record = signNameRecord(name, hash, 4000, owner.privateKey);
    for (const change of [
      { value: 'bzzz://blob/' + 'cd'.repeat(32) },
      { seq: 4001 },
      { path: 'demo~calc:1/diff' },
      { sig: Buffer.alloc(64, 7).toString('base64') },
    ]) {
      const tampered = { ...record, ...change };
      expect(problemOf(() => checkNameRecord(tampered))).toBe('bad_signature');
    }
  });

  it('refuse malformed and oversized input with a named problem, never another error', () => {
    const record = signNameRecord(name, hash, 5000, owner.privateKey);
    const cases: [Uint8Array, NameRecordProblem][] = [
      [new Uint8Array([0xff, 0xfe]), 'malformed'],
      [bytes({ ...record, extra: 1 }), 'malformed'],
      [bytes({ ...record, v: 2 }), 'malformed'],
      [bytes({ ...record, seq: 0 }), 'malformed'],
      [bytes({ ...record, seq: 1.5 }), 'malformed'],
      [bytes({ ...record, node: 'not-a-node' }), 'malformed'],
      [bytes({ ...record, path: 'a//b' }), 'malformed'],
      [bytes({ ...record, path: 'a%2fb' }), 'malformed'], // not the canonical escaping
      [bytes({ ...record, value: 'line\nbreak' }), 'malformed'],
      [bytes({ ...record, sig: 'c2ln' }), 'malformed'],
      [bytes([record]), 'malformed'],
      [new Uint8Array(MAX_NAME_RECORD_BYTES + 1).fill(0x20), 'too_large'],
    ];
    for (const [input, problem] of cases)
      expect(problemOf(() => validateNameRecord(key, input))).toBe(problem);
    for (const badKey of ['/pk/x', '/bzzz/nope/log', `/bzzz/${owner.nodeId}`, `/bzzz/${owner.nodeId}/a//b`]) {
      const k = Buffer.from(badKey, 'utf8');
      expect(problemOf(() => validateNameRecord(k, encodeNameRecord(record)))).toBe('wrong_key');
    }
  });

  it('never throw anything but a named error on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (input) => {
        expect(['malformed', 'too_large']).toContain(problemOf(() => validateNameRecord(key, input)));
      }),
    );
  });

  it('select the newest valid record; older, forged and broken ones never win', () => {
    const older = signNameRecord(name, 'old', 100, owner.privateKey);
    const newer = signNameRecord(name, 'new', 200, owner.privateKey);
    const forged = signNameRecordAs(name, 'forged', 9999, other);
    const records = [older, forged, newer].map(encodeNameRecord);
    expect(selectNameRecord(key, records)).toBe(2);
    expect(selectNameRecord(key, [encodeNameRecord(newer), encodeNameRecord(older)])).toBe(0);
    expect(selectNameRecord(key, [new Uint8Array([1]), encodeNameRecord(older)])).toBe(1);
    // equal seq: the same winner whatever the order
    const a = signNameRecord(name, 'a', 300, owner.privateKey);
    const b = signNameRecord(name, 'b', 300, owner.privateKey);
    const winner = compareNameRecords(a, b) > 0 ? 'a' : 'b';
    const ab = [a, b].map(encodeNameRecord);
    expect(decodeNameRecord(ab[selectNameRecord(key, ab)]!).value).toBe(winner);
    const ba = [b, a].map(encodeNameRecord);
    expect(decodeNameRecord(ba[selectNameRecord(key, ba)]!).value).toBe(winner);
  });

  it('number publications upwards even when the clock goes back', () => {
    expect(nextNameSeq(1000)).toBe(1000);
    expect(nextNameSeq(1000, 1000)).toBe(1001);
    expect(nextNameSeq(500, 1000)).toBe(1001);
    expect(nextNameSeq(2000, 1000)).toBe(2000);
  });
});

/** A record for `name` signed by `signer` whoever the name's node is: what a forger writes. */
function signNameRecordAs(
  target: { node: string; path: string[] },
  value: string,
  seq: number,
  signer: ReturnType<typeof generateIdentity>,
): NameRecord {
  const own = signNameRecord({ node: signer.nodeId, path: target.path }, value, seq, signer.privateKey);
  const { sig: _sig, ...rest } = own;
  const unsigned = { ...rest, node: target.node };
  const canonical = Buffer.from(
    `bzzz name record v1\n${JSON.stringify(Object.fromEntries(Object.entries(unsigned).sort(([x], [y]) => (x < y ? -1 : 1))))}`,
    'utf8',
  );
  const sig = sign(null, canonical, signer.privateKey).toString('base64');
  return { ...unsigned, sig };
}
