/**
 * The audit entry's wire form (property-tested): the blob `signAuditEntry` writes member by
 * member is exactly the canonical JSON of the signed entry, for any JSON data; it decodes back
 * to the entry, its signature is its node's and no other key's, and cutting the `sig` member
 * out gives the bytes that were signed. A head is signed and checked the same way; a changed
 * head or one for another node fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_KINDS,
  canonicalJson,
  checkAuditHead,
  decodeAuditEntry,
  generateIdentity,
  signAuditEntry,
  signAuditHead,
  verifyAuditEntryBytes,
  type JsonValue,
} from '../../src/protocol/index.js';

const node = generateIdentity();
const other = generateIdentity();
const data = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), {
  maxKeys: 6,
}) as fc.Arbitrary<Record<string, JsonValue>>;

describe('an audit entry', () => {
  it('is the canonical JSON of the signed entry, decodes back, and verifies as its node only', () => {
    fc.assert(
      fc.property(
        data,
        fc.constantFrom(...AUDIT_KINDS),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(fc.integer({ min: 0, max: 2 ** 40 })),
        fc.option(fc.constantFrom('local:demo/app#3', 'github:octo/app#42')),
        fc.option(fc.stringMatching(/^[0-9a-f]{64}$/)),
        (d, kind, seq, token, task, prev) => {
          const unsigned = {
            at: '2026-12-05T06:00:00.000Z',
            data: d,
            kind,
            node: node.nodeId,
            prev,
            seq,
            task,
            token,
          };
          const { entry, bytes } = signAuditEntry(unsigned, node.privateKey);
          expect(bytes.toString('utf8')).toBe(canonicalJson(entry));
          expect(decodeAuditEntry(bytes)).toEqual(JSON.parse(canonicalJson(entry)));
          expect(verifyAuditEntryBytes(bytes, node.nodeId)).toBe(true);
          expect(verifyAuditEntryBytes(bytes, other.nodeId)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses data over the size limit and data that is no object', () => {
    const base = {
      at: '2026-12-05T06:00:00.000Z',
      kind: 'effect' as const,
      node: node.nodeId,
      prev: null,
      seq: 1,
      task: null,
      token: null,
    };
    expect(() => signAuditEntry({ ...base, data: { big: 'x'.repeat(40_000) } }, node.privateKey)).toThrow(
      /too_large/,
    );
    expect(() => signAuditEntry({ ...base, data: [1, 2] as never }, node.privateKey)).toThrow(/malformed/);
  });

  it('is refused when it is no entry', () => {
    expect(() => decodeAuditEntry(Buffer.from('{"seq":1}'))).toThrow(/malformed/);
    expect(() => decodeAuditEntry(Buffer.from([0xff, 0xfe]))).toThrow(/not UTF-8 JSON/);
  });
});

describe('an audit head', () => {
  it('is checked against the node it names', () => {
    const head = signAuditHead(
      { at: '2026-12-05T06:00:00.000Z', hash: 'ab'.repeat(32), node: node.nodeId, seq: 9 },
      node.privateKey,
    );
    expect(checkAuditHead(head)).toEqual(head);
    expect(() => checkAuditHead({ ...head, seq: 10 })).toThrow(/bad_signature/);
    expect(() => checkAuditHead({ ...head, node: other.nodeId })).toThrow(/bad_signature/);
    expect(() => checkAuditHead({ ...head, hash: 'xyz' })).toThrow(/malformed/);
  });
});
