/**
 * `isTaskKey` is the hot-path check of a task key (every task message, sent or received): it
 * must accept exactly what `parseTaskKey` parses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTaskKey, parseTaskKey } from '../../src/protocol/index.js';

function parses(key: string): boolean {
  try {
    parseTaskKey(key);
    return true;
  } catch {
    return false;
  }
}

const EDGES = [
  'local:demo/app#3',
  'github:octo-org/my.repo_x#42',
  'a:b/c#1',
  `${'f'.repeat(32)}:o/r#1`,
  `${'f'.repeat(33)}:o/r#1`,
  `f:${'o'.repeat(100)}/r#1`,
  `f:${'o'.repeat(101)}/r#1`,
  'f:o/r#9007199254740991',
  'f:o/r#9007199254740992',
  'f:o/r#9999999999999999',
  'f:o/r#10000000000000000',
  'f:o/r#0',
  'f:o/r#01',
  'f:.o/r#1',
  'f:o/-r#1',
  'f:o r/x#1',
  'f:o/r/s#1',
  'f:o#x/r#1',
  'F:o/r#1',
  '1f:o/r#1',
  'f:o/r#1\n',
  'f:o/r',
  '',
];

describe('isTaskKey', () => {
  it('accepts exactly what parseTaskKey parses', () => {
    for (const key of EDGES) expect(isTaskKey(key), key).toBe(parses(key));
    const part = fc.stringMatching(/^[a-z0-9A-Z._\-/#: ]{0,12}$/);
    fc.assert(
      fc.property(fc.constantFrom(...EDGES), part, fc.nat(40), fc.nat(3), (base, piece, at, cut) => {
        const key = base.slice(0, at) + piece + base.slice(at + cut);
        expect(isTaskKey(key), key).toBe(parses(key));
      }),
      { numRuns: 3000 },
    );
  });
});
