import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatBzzzUrl,
  generateIdentity,
  InvalidBzzzUrlError,
  parseBzzzUrl,
  parseTaskNameId,
  taskNameIdOfKey,
  taskNamePath,
  tryParseBzzzUrl,
  type BzzzUrl,
} from '../../src/protocol/index.js';

const node = generateIdentity().nodeId;
const hash = 'a'.repeat(64);
const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((s) => s !== '.' && s !== '..' && !/[\s\p{C}\u00a0\u2028\u2029\ufeff]/u.test(s));
const path = fc.array(segment, { minLength: 1, maxLength: 6 });
const word = (first: string, rest: string, max: number) =>
  fc
    .tuple(
      fc.constantFrom(...first.split('')),
      fc.string({ unit: fc.constantFrom(...rest.split('')), maxLength: max }),
    )
    .map(([a, b]) => a + b);
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const agent = fc.oneof(fc.constant('*'), word(ALNUM, `${ALNUM}._-`, 63));
const role = fc.oneof(fc.constant('*'), word(ALNUM, `${ALNUM}._+-`, 63));
const repoName = word(ALNUM, `${ALNUM}._-`, 99);
const url: fc.Arbitrary<BzzzUrl> = fc.oneof(
  fc
    .string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 64, maxLength: 64 })
    .map((h): BzzzUrl => ({ kind: 'blob', hash: h })),
  path.map((p): BzzzUrl => ({ kind: 'actor', node, path: p })),
  fc
    .record({
      agent,
      role,
      owner: repoName,
      repo: repoName,
      number: fc.integer({ min: 1, max: 2 ** 40 }),
      path,
    })
    .map((n): BzzzUrl => ({ kind: 'name', ...n })),
);

describe('the bzzz:// grammar', () => {
  it('round-trips every kind (format, then parse, gives the same address and text)', () => {
    fc.assert(
      fc.property(url, (u) => {
        const text = formatBzzzUrl(u);
        const parsed = parseBzzzUrl(text);
        expect(parsed).toEqual(u);
        expect(formatBzzzUrl(parsed)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('parses the three kinds', () => {
    expect(parseBzzzUrl(`bzzz://blob/${hash}`)).toEqual({ kind: 'blob', hash });
    expect(parseBzzzUrl(`bzzz://${node}/work/tasks/local:demo%2Fapp%233`)).toEqual({
      kind: 'actor',
      node,
      path: ['work', 'tasks', 'local:demo/app#3'],
    });
    expect(parseBzzzUrl('bzzz://*:*@demo~calc:1/log')).toEqual({
      kind: 'name',
      agent: '*',
      role: '*',
      owner: 'demo',
      repo: 'calc',
      number: 1,
      path: ['log'],
    });
    expect(parseBzzzUrl('bzzz://alice:typescript@octo~app.js:42/src/index.ts')).toMatchObject({
      agent: 'alice',
      role: 'typescript',
      repo: 'app.js',
      number: 42,
      path: ['src', 'index.ts'],
    });
  });

  const bad: [string, string][] = [
    ['', 'address'],
    ['http://blob/x', 'scheme'],
    ['bzzz:/blob/x', 'scheme'],
    ['bzzz://blob/', 'hash'],
    [`bzzz://blob/${'A'.repeat(64)}`, 'hash'],
    [`bzzz://blob/${'a'.repeat(63)}`, 'hash'],
    [`bzzz://blob/${'g'.repeat(64)}`, 'hash'],
    ['bzzz:///work', 'node'],
    ['bzzz://not-a-node-id/work', 'node'],
    [`bzzz://${node}`, 'path'],
    [`bzzz://${node}/`, 'path'],
    [`bzzz://${node}/a//b`, 'path'],
    [`bzzz://${node}/a/../b`, 'path'],
    [`bzzz://${node}/a b`, 'path'],
    ['bzzz://alice@demo~calc:1/log', 'role'],
    ['bzzz://:ts@demo~calc:1/log', 'agent'],
    ['bzzz://al ice:ts@demo~calc:1/log', 'agent'],
    ['bzzz://alice:@demo~calc:1/log', 'role'],
    ['bzzz://alice:t s@demo~calc:1/log', 'role'],
    ['bzzz://*:*@demo/calc:1/log', 'repo'],
    ['bzzz://*:*@~calc:1/log', 'owner'],
    ['bzzz://*:*@de$mo~calc:1/log', 'owner'],
    ['bzzz://*:*@demo~:1/log', 'repo'],
    ['bzzz://*:*@demo~calc/log', 'number'],
    ['bzzz://*:*@demo~calc:0/log', 'number'],
    ['bzzz://*:*@demo~calc:01/log', 'number'],
    ['bzzz://*:*@demo~calc:x/log', 'number'],
    ['bzzz://*:*@demo~calc:99999999999999999/log', 'number'],
    ['bzzz://*:*@demo~calc:1', 'path'],
    ['bzzz://*:*@demo~calc:1/', 'path'],
    ['bzzz://*:*@demo~calc:1/%ZZ', 'path'],
    ['bzzz://*:*@demo~calc:1/a#b', 'path'],
    [`bzzz://${'x'.repeat(5000)}`, 'address'],
  ];
  it.each(bad)('refuses %j, naming the wrong part (%s)', (text, part) => {
    let error: unknown;
    try {
      parseBzzzUrl(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidBzzzUrlError);
    expect((error as InvalidBzzzUrlError).part).toBe(part);
    expect((error as Error).message).toContain(`${part}:`);
    expect(tryParseBzzzUrl(text)).toBeUndefined();
  });

  it('never throws anything but its own error on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'bzzz://', 'bzzz://blob/', 'bzzz://*:*@'),
        fc.string({ maxLength: 300 }),
        (prefix, text) => {
          for (const input of [text, prefix + text]) {
            try {
              parseBzzzUrl(input);
            } catch (error) {
              expect(error).toBeInstanceOf(InvalidBzzzUrlError);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses to format parts that are not an address', () => {
    expect(() => formatBzzzUrl({ kind: 'blob', hash: 'xyz' })).toThrow(InvalidBzzzUrlError);
    expect(() =>
      formatBzzzUrl({
        kind: 'name',
        agent: 'a b',
        role: '*',
        owner: 'o',
        repo: 'r',
        number: 1,
        path: ['log'],
      }),
    ).toThrow(/agent/);
    expect(() =>
      formatBzzzUrl({ kind: 'name', agent: '*', role: '*', owner: 'o', repo: 'r', number: 0, path: ['log'] }),
    ).toThrow(/number/);
    expect(() => formatBzzzUrl({ kind: 'actor', node, path: [] })).toThrow(/path/);
  });

  it('tells the task paths from files, and maps task keys to name ids', () => {
    expect(taskNamePath(['log'])).toBe('log');
    expect(taskNamePath(['audit'])).toBe('audit');
    expect(taskNamePath(['src', 'log'])).toBe('file');
    expect(taskNamePath(['README.md'])).toBe('file');
    expect(taskNameIdOfKey('local:demo/calc#1')).toBe('demo~calc:1');
    expect(taskNameIdOfKey('github:octo/app.js#42')).toBe('octo~app.js:42');
    expect(taskNameIdOfKey('nonsense')).toBeUndefined();
    expect(parseTaskNameId('demo~calc:7')).toEqual({ owner: 'demo', repo: 'calc', number: 7 });
    expect(() => parseTaskNameId('demo/calc:7')).toThrow(InvalidBzzzUrlError);
  });
});
