/**
 * The pieces of a task's names (issue 16) on their own: the record value's format and its
 * limit, the one check every record passes (and the reason it names when it fails), and the
 * name table's rules (the newest record of a name wins, own rows stay, learned rows are bounded).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTaskRecord, SqliteNameTable, tryCheckTaskRecord } from '../../src/adapters/names/index.js';
import {
  decodeTaskNameValue,
  encodeNameRecord,
  encodeTaskNameValue,
  generateIdentity,
  InvalidNameRecordError,
  MAX_NAME_VALUE,
  parseTaskRecordPath,
  signNameRecord,
  taskRecordPath,
  type Identity,
  type NameRecord,
  type TaskNameValue,
} from '../../src/protocol/index.js';

const HASH = 'ab'.repeat(32);
const value = (over: Partial<TaskNameValue> = {}): TaskNameValue => ({
  v: 1,
  task: 'local:demo/calc#1',
  agent: 'n1-2',
  node: 'n1',
  roles: ['shell'],
  hash: HASH,
  size: 12,
  ...over,
});

const record = (identity: Identity, path: string[], text: string, seq = 1): NameRecord =>
  signNameRecord({ node: identity.nodeId, path }, text, seq, identity.privateKey);

const problem = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidNameRecordError) return error.problem;
    throw error;
  }
  return 'none';
};

const tables: SqliteNameTable[] = [];
afterEach(async () => {
  for (const table of tables.splice(0)) await table.stop();
});

async function table(maxLearned?: number): Promise<SqliteNameTable> {
  const made = new SqliteNameTable({
    path: join(mkdtempSync(join(tmpdir(), 'bzzz-name-table-')), 'names.db'),
    ...(maxLearned === undefined ? {} : { maxLearned }),
  });
  await made.start();
  tables.push(made);
  return made;
}

describe('a task name record value', () => {
  it('is canonical JSON, one of hash or url, and sheds roles to fit', () => {
    const text = encodeTaskNameValue(value());
    expect(text).toBe(
      `{"agent":"n1-2","hash":"${HASH}","node":"n1","roles":["shell"],"size":12,"task":"local:demo/calc#1","v":1}`,
    );
    expect(decodeTaskNameValue(text)).toEqual(value());
    const pr = value({ hash: undefined, size: undefined, url: 'https://forge.example/pull/3' });
    expect(decodeTaskNameValue(encodeTaskNameValue(pr))).toMatchObject({
      url: 'https://forge.example/pull/3',
    });
    expect(() => encodeTaskNameValue(value({ url: 'https://x' }))).toThrow(InvalidNameRecordError);
    expect(() => encodeTaskNameValue(value({ hash: 'AB'.repeat(32) }))).toThrow(InvalidNameRecordError);
    expect(problem(() => decodeTaskNameValue('{"v":2}'))).toBe('malformed');
    expect(problem(() => decodeTaskNameValue('not json'))).toBe('malformed');

    const roles = Array.from({ length: 64 }, (_, i) => `capability-${i}-${'x'.repeat(30)}`);
    const long = encodeTaskNameValue(value({ roles }));
    expect(long.length).toBeLessThanOrEqual(MAX_NAME_VALUE);
    const kept = decodeTaskNameValue(long).roles;
    expect(kept.length).toBeLessThan(roles.length);
    expect(kept).toEqual(roles.slice(0, kept.length));
  });

  it('lives at tasks/<owner>~<repo>:<n>/<artifact>', () => {
    expect(taskRecordPath('demo~calc:1', 'log')).toEqual(['tasks', 'demo~calc:1', 'log']);
    expect(parseTaskRecordPath(['tasks', 'demo~calc:1', 'tree'])).toEqual({
      nameId: 'demo~calc:1',
      artifact: 'tree',
    });
    for (const path of [
      ['tasks', 'demo~calc:1', 'README.md'],
      ['tasks', 'demo/calc#1', 'log'],
      ['task', 'demo~calc:1', 'log'],
      ['tasks', 'demo~calc:1'],
    ])
      expect(parseTaskRecordPath(path), path.join('/')).toBeUndefined();
  });
});

describe('the check of a task name record', () => {
  const a = generateIdentity();
  const b = generateIdentity();
  const path = taskRecordPath('demo~calc:1', 'log');
  const good = record(a, path, encodeTaskNameValue(value()));

  it('takes a record signed by the node it names, as bytes or as an object', () => {
    const checked = checkTaskRecord({ record: encodeNameRecord(good), node: a.nodeId });
    expect(checked).toMatchObject({ nameId: 'demo~calc:1', artifact: 'log', value: value() });
    expect(checkTaskRecord({ record: good }).record).toEqual(good);
  });

  it('names the reason it refuses one', () => {
    const wanted = { nameId: 'demo~calc:1', artifact: 'log' as const };
    const byB = { ...record(b, path, good.value), node: a.nodeId };
    const cases: [string, unknown, string | undefined][] = [
      ['signed by B, naming A', byB, undefined],
      ['a changed value', { ...good, value: encodeTaskNameValue(value({ agent: 'mallory' })) }, undefined],
      ["B's record where A's key is", good, b.nodeId],
      ['garbage bytes', Buffer.from('{"v":1'), undefined],
      ['not a task name', record(a, ['elsewhere'], good.value), undefined],
      ['another task', record(a, taskRecordPath('demo~calc:2', 'log'), good.value), undefined],
      ['not a task value', record(a, path, 'bzzz://blob/' + HASH), undefined],
      ['a pr with a hash', record(a, taskRecordPath('demo~calc:1', 'pr'), good.value), undefined],
    ];
    const reasons = cases.map(([what, found, node]) => {
      const result = tryCheckTaskRecord({ record: found, ...(node === undefined ? {} : { node }) }, wanted);
      return [what, 'problem' in result ? result.problem.problem : 'accepted'];
    });
    expect(reasons).toEqual([
      ['signed by B, naming A', 'bad_signature'],
      ['a changed value', 'bad_signature'],
      ["B's record where A's key is", 'wrong_key'],
      ['garbage bytes', 'malformed'],
      ['not a task name', 'wrong_key'],
      ['another task', 'wrong_key'],
      ['not a task value', 'malformed'],
      ['a pr with a hash', 'wrong_key'],
    ]);
  });
});

describe('the name table', () => {
  const a = generateIdentity();
  const path = taskRecordPath('demo~calc:1', 'log');

  it('keeps the newest record of each name, and own rows before learned ones', async () => {
    const names = await table(2);
    const first = record(a, path, encodeTaskNameValue(value()), 10);
    const newer = record(a, path, encodeTaskNameValue(value({ size: 13 })), 11);
    expect(names.offer(newer, true)).toBe(true);
    expect(names.offer(first, false)).toBe(false); // a replay of an older record
    expect(names.lastSeq(a.nodeId, 'tasks/demo~calc:1/log')).toBe(11);
    expect(names.records('demo~calc:1', 'log').map((w) => Buffer.from(w))).toEqual([
      Buffer.from(encodeNameRecord(newer)),
    ]);
    expect(names.offer(record(a, ['not', 'a', 'task', 'name'], 'x'), false)).toBe(false);

    // learned rows are bounded: the oldest learned goes, the own row stays
    const others = [1, 2, 3].map(() => generateIdentity());
    for (const other of others) names.offer(record(other, path, encodeTaskNameValue(value()), 5), false);
    const held = names
      .records('demo~calc:1', 'log')
      .map((w) => (JSON.parse(Buffer.from(w).toString()) as NameRecord).node);
    expect(held.sort()).toEqual([a.nodeId, others[1]!.nodeId, others[2]!.nodeId].sort());
  });
});
