/**
 * The hand-written character checks of `fast-fields.ts` against the patterns of the schemas
 * they stand in for, on strings drawn near the edges of each character class.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIdText, isSignatureText, isUlidText } from '../../src/protocol/fast-fields.js';
import { fastMessageData, SLOW } from '../../src/protocol/fast-data.js';
import { generateIdentity, MAX_ID } from '../../src/protocol/index.js';

/** Characters on and around the class boundaries, a few beyond ASCII. */
const CHARS = [
  ...Array.from('09AHIJKLMNOPQRSTUVWXYZaz+/=-._:@#!~ `\\"\''),
  '\u0000',
  '\u007f',
  '\u0080',
  'é',
  '\u0130',
  '\u212a',
  '😀',
];
const text = (max: number) =>
  fc.array(fc.constantFrom(...CHARS), { maxLength: max }).map((chars) => chars.join(''));

function agree(
  check: (v: string) => boolean,
  reference: (v: string) => boolean,
  values: fc.Arbitrary<string>,
) {
  fc.assert(
    fc.property(values, (value) => {
      expect(check(value), JSON.stringify(value)).toBe(reference(value));
    }),
    { numRuns: 3000 },
  );
}

describe('fast field checks', () => {
  it('isUlidText is /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/', () => {
    const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
    const near = fc
      .tuple(
        fc.constantFrom('0', '1', '7', '8', 'A'),
        fc.array(fc.constantFrom(...Array.from('09AHIJKLOUVZz')), { minLength: 24, maxLength: 26 }),
      )
      .map(([first, rest]) => first + rest.join(''));
    agree(isUlidText, (v) => ULID.test(v), fc.oneof(text(30), near));
  });

  it('isIdText is /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$/ of at most MAX_ID characters', () => {
    const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$/;
    agree(isIdText, (v) => v.length <= MAX_ID && ID.test(v), fc.oneof(text(12), text(MAX_ID + 2)));
    expect(isIdText('a'.repeat(MAX_ID))).toBe(true);
    expect(isIdText('a'.repeat(MAX_ID + 1))).toBe(false);
  });

  it('isSignatureText is /^(?:[A-Za-z0-9+/]{85}[AQgw]==)?$/', () => {
    const SIGNATURE = /^(?:[A-Za-z0-9+/]{85}[AQgw]==)?$/;
    const near = fc
      .tuple(text(86), fc.constantFrom('A==', 'Q==', 'g==', 'w==', 'B==', 'A=', '=='))
      .map(([body, end]) => body.padEnd(85, 'x').slice(0, 85) + end);
    agree(isSignatureText, (v) => SIGNATURE.test(v), fc.oneof(text(90), near));
  });

  it("an actor message's type is /^[A-Za-z][A-Za-z0-9._:/-]{0,127}$/", () => {
    const TYPE = /^[A-Za-z][A-Za-z0-9._:/-]{0,127}$/;
    const to = `bzzz://${generateIdentity().nodeId}/a`;
    const fast = (type: string) => fastMessageData('actor_message', { to, type, payload: 0 }) !== SLOW;
    // The address is checked too: make sure it is not what fails.
    expect(fast('task.step')).toBe(true);
    agree(fast, (v) => TYPE.test(v), fc.oneof(text(10), text(130)));
    expect(fast('a'.repeat(128))).toBe(true);
    expect(fast('a'.repeat(129))).toBe(false);
  });
});
