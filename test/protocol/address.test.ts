import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actorSubject,
  actorWildcard,
  childAddress,
  claimKey,
  claimsBucket,
  coordinationSubject,
  decodeTaskKeyToken,
  decodeToken,
  encodeTaskKeyToken,
  encodeToken,
  formatAddress,
  generateIdentity,
  hmmmSubject,
  hmmmTaskSubject,
  InvalidAddressError,
  InvalidSubjectError,
  InvalidTaskKeyError,
  isAddress,
  parseActorSubject,
  parseAddress,
  taskKeyOfTopic,
  taskTopic,
  tryParseAddress,
} from '../../src/protocol/index.js';

const node = generateIdentity().nodeId;
const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((s) => s !== '.' && s !== '..' && !/[\s\p{C}\u00a0\u2028\u2029\ufeff]/u.test(s));
const path = fc.array(segment, { minLength: 1, maxLength: 6 });

describe('actor addresses', () => {
  it('escape a task key as one segment', () => {
    const text = formatAddress({ node, path: ['work', 'tasks', 'local:demo/app#3'] });
    expect(text).toBe(`bzzz://${node}/work/tasks/local:demo%2Fapp%233`);
    expect(parseAddress(text)).toEqual({ node, path: ['work', 'tasks', 'local:demo/app#3'] });
  });

  it('round-trip any path through text and through a NATS subject', () => {
    fc.assert(
      fc.property(path, (segments) => {
        const address = { node, path: segments };
        expect(parseAddress(formatAddress(address))).toEqual(address);
        const subject = actorSubject('local', address);
        expect(subject).not.toMatch(/[\s*>]|\.\.|\.$/);
        expect(subject.split('.')).toHaveLength(4 + segments.length);
        expect(parseActorSubject(subject)).toEqual({ cluster: 'local', address });
      }),
    );
  });

  it('accept any valid percent-encoding and format the canonical one', () => {
    const parsed = parseAddress(`bzzz://${node}/a%2fb/%C3%A9`);
    expect(parsed.path).toEqual(['a/b', 'é']);
    expect(formatAddress(parsed)).toBe(`bzzz://${node}/a%2Fb/%C3%A9`);
  });

  it('refuse malformed addresses with a reason', () => {
    const bad = [
      `http://${node}/a`,
      `bzzz://${node}`,
      `bzzz://${node}/`,
      `bzzz://${node}/a//b`,
      `bzzz://${node}/a/..`,
      `bzzz://${node}/local:demo/app#3`,
      `bzzz://${node}/a b`,
      `bzzz://${node}/%ZZ`,
      `bzzz://${node}/%FF`,
      `bzzz://${node}/%20`,
      `bzzz://nobody/a`,
      `bzzz://${node}/${'a/'.repeat(17)}a`,
      `bzzz://${node}/${'a'.repeat(201)}`,
    ];
    for (const text of bad) {
      expect(() => parseAddress(text), text).toThrow(InvalidAddressError);
      expect(() => parseAddress(text), `${text}, asked again`).toThrow(InvalidAddressError);
    }
    expect(() => childAddress(parseAddress(`bzzz://${node}/a`), '')).toThrow(InvalidAddressError);
  });

  it('are told valid or not the same way whatever was checked before', () => {
    const valid = formatAddress({ node, path: ['a'] });
    for (const text of ['', 'bzzz://', valid.slice(0, -1) + '%', valid, '', `${valid}/..`, valid]) {
      expect(isAddress(text), JSON.stringify(text)).toBe(tryParseAddress(text) !== undefined);
    }
  });

  it('share a parsed address between callers only frozen', () => {
    const text = `bzzz://${node}/work/tasks/local:demo%2Fapp%233`;
    const first = parseAddress(text);
    const again = parseAddress(text);
    expect(again).toEqual(first);
    expect(Object.isFrozen(again)).toBe(true);
    expect(Object.isFrozen(again.path)).toBe(true);
    expect(() => (again.path as string[]).push('x')).toThrow(TypeError);
    expect(parseAddress(text).path).toEqual(['work', 'tasks', 'local:demo/app#3']);
  });
});

describe('subjects and topics', () => {
  it('follow SPEC §7', () => {
    expect(coordinationSubject('local')).toBe('bzzz.local.coordination');
    expect(hmmmSubject('prod-1')).toBe('bzzz.prod-1.hmmm');
    expect(hmmmTaskSubject('local', 'local:demo/app#3')).toBe('bzzz.local.hmmm.task.local_3Ademo_2Fapp_233');
    expect(taskTopic('github:octo/app#42')).toBe('bzzz/meta/task/github:octo/app#42');
    expect(taskKeyOfTopic('bzzz/meta/task/github:octo/app#42')).toBe('github:octo/app#42');
    expect(taskKeyOfTopic('bzzz/meta/task/nope')).toBeUndefined();
    expect(claimsBucket('local')).toBe('bzzz-local-claims');
    expect(claimKey('local:demo/app#3')).toBe('local_3Ademo_2Fapp_233');
    expect(actorWildcard('local', node)).toBe(`bzzz.local.actor.${node}.>`);
    expect(actorSubject('local', { node, path: ['work', 'tasks'] })).toBe(
      `bzzz.local.actor.${node}.work.tasks`,
    );
  });

  it('refuse cluster names that would break a subject', () => {
    for (const cluster of ['', 'a.b', 'a b', '*', '>', 'a*', '-x', 'x'.repeat(65)]) {
      expect(() => coordinationSubject(cluster), cluster).toThrow(InvalidSubjectError);
    }
    expect(() => hmmmTaskSubject('local', 'not a key')).toThrow(InvalidSubjectError);
  });

  it('parse only actor subjects', () => {
    for (const subject of [
      'bzzz.local.coordination',
      `bzzz.local.actor.${node}`,
      `bzzz.local.actor.${node}.a_2`,
      `bzzz.local.actor.${node}.a_41`,
      `bzzz.local.actor.nobody.a`,
      `bzzz.lo cal.actor.${node}.a`,
    ]) {
      expect(parseActorSubject(subject), subject).toBeUndefined();
    }
  });
});

describe('tokens and task keys', () => {
  it('round-trip any string through one canonical token', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }).filter((s) => s.isWellFormed()),
        (value) => {
          const token = encodeToken(value);
          expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(decodeToken(token)).toBe(value);
        },
      ),
    );
    expect(decodeToken('_41')).toBeUndefined(); // `A` must be written literally
    expect(decodeToken('_FF')).toBeUndefined(); // not UTF-8
    expect(decodeToken('a.b')).toBeUndefined();
  });

  it('round-trip task keys and refuse tokens of other strings', () => {
    const key = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      )
      .map(([forge, owner, repo, n]) => `${forge}:${owner}/${repo}#${n}`);
    fc.assert(
      fc.property(key, (k) => {
        expect(decodeTaskKeyToken(encodeTaskKeyToken(k))).toBe(k);
      }),
    );
    expect(() => decodeTaskKeyToken(encodeToken('hello'))).toThrow(InvalidTaskKeyError);
  });
});
