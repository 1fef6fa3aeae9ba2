/**
 * The MCP server's small parts on their own: the help desk (open requests until answered or
 * given up, bounded, one watched channel per task), task names as resource URIs, and the
 * token files (what they must hold, and which access a header gets).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HelpDesk, McpTokenFileError, parseTaskName, taskNameUri } from '../../src/adapters/mcp/index.js';
import { Tokens } from '../../src/adapters/mcp/auth.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import type { TaskHelpRequest } from '../../src/protocol/messages/hmmm.js';

const NODE = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';

function request(id: string, task: string): TaskHelpRequest {
  return { id, task, node: NODE, agent: 'a1', question: `question ${id}` };
}

function desk(max?: number) {
  const clock = new SimulatedClock();
  const watched: string[] = [];
  const events: string[] = [];
  const helpDesk = new HelpDesk({
    ttlMs: 10_000,
    ...(max === undefined ? {} : { max }),
    clock,
    watch: (task) => {
      watched.push(task);
      events.push(`watch ${task}`);
    },
    unwatch: (task) => {
      watched.splice(watched.indexOf(task), 1);
      events.push(`unwatch ${task}`);
    },
  });
  return { helpDesk, clock, watched, events };
}

const A = '01J0000000000000000000000A';
const B = '01J0000000000000000000000B';
const C = '01J0000000000000000000000C';

describe('the help desk', () => {
  it('keeps a request until it is answered, watching its task meanwhile', () => {
    const { helpDesk, watched, events } = desk();
    helpDesk.asked(request(A, 'local:demo/app#1'));
    helpDesk.asked(request(A, 'local:demo/app#1'));
    helpDesk.asked(request(B, 'local:demo/app#1'));
    expect(helpDesk.list().map((r) => r.id)).toEqual([A, B]);
    expect(watched).toEqual(['local:demo/app#1']);
    expect(helpDesk.get('local:demo/app#1', A)?.question).toBe(`question ${A}`);
    expect(helpDesk.get('local:demo/app#2', A)).toBeUndefined();
    helpDesk.answered(A);
    expect(watched).toEqual(['local:demo/app#1']);
    helpDesk.answered(B);
    expect(helpDesk.list()).toEqual([]);
    expect(events).toEqual(['watch local:demo/app#1', 'unwatch local:demo/app#1']);
  });

  it('forgets a request once its asker gave up', async () => {
    const { helpDesk, clock, watched } = desk();
    helpDesk.asked(request(A, 'local:demo/app#1'));
    const [row] = helpDesk.list();
    expect(Date.parse(row!.expires_at) - Date.parse(row!.seen_at)).toBe(10_000);
    await clock.advance(9_999);
    expect(helpDesk.list()).toHaveLength(1);
    await clock.advance(1);
    expect(helpDesk.list()).toEqual([]);
    expect(helpDesk.get('local:demo/app#1', A)).toBeUndefined();
    expect(watched).toEqual([]);
  });

  it('holds at most `max` requests, forgetting the oldest', () => {
    const { helpDesk, watched } = desk(2);
    helpDesk.asked(request(A, 'local:demo/app#1'));
    helpDesk.asked(request(B, 'local:demo/app#2'));
    helpDesk.asked(request(C, 'local:demo/app#3'));
    expect(helpDesk.list().map((r) => r.id)).toEqual([B, C]);
    expect(watched.sort()).toEqual(['local:demo/app#2', 'local:demo/app#3']);
    helpDesk.clear();
    expect(watched).toEqual([]);
  });
});

describe('task names as resource URIs', () => {
  it('map to the task key on the node’s forge, any task number', () => {
    expect(parseTaskName('bzzz://*:*@demo~app:3/log', 'local')).toEqual({
      key: 'local:demo/app#3',
      agent: '*',
      role: '*',
      path: 'log',
    });
    expect(parseTaskName('bzzz://alice:coder@Octo~App:70000/src/main.ts', 'github').key).toBe(
      'github:Octo/App#70000',
    );
    expect(taskNameUri('local:demo/app#3', 'diff')).toBe('bzzz://*:*@demo~app:3/diff');
  });

  it('refuse what names no task artifact', () => {
    for (const bad of [
      'bzzz://blob/00ff',
      'bzzz://*:*@demo~app:0/log',
      'bzzz://*:*@demo~app:3/',
      'bzzz://*:*@demo~app:3/../x',
      'bzzz://a b:*@demo~app:3/log',
      'bzzz://*:*@-demo~app:3/log',
      'http://*:*@demo~app:3/log',
    ])
      expect(() => parseTaskName(bad, 'local'), bad).toThrow(/not a task name/);
  });
});

describe('token files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-mcp-tokens-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('grant read-write or read-only access to the exact token, nothing to any other', async () => {
    const tokens = await Tokens.load({
      tokenFile: file('rw', 'read-write-token-123456\n'),
      readOnlyTokenFile: file('ro', '  read-only-token-654321  \n'),
    });
    expect(tokens.access('Bearer read-write-token-123456')).toBe('read-write');
    expect(tokens.access('bearer read-only-token-654321')).toBe('read-only');
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer read-write-token-12345',
      'Basic read-write-token-123456',
    ])
      expect(tokens.access(header), String(header)).toBeUndefined();
  });

  it('are refused when missing, empty, too short, or one token for both', async () => {
    const cases: [Parameters<typeof Tokens.load>[0], RegExp][] = [
      [{ tokenFile: join(dir, 'absent') }, /mcp_token_file .*cannot read: ENOENT/],
      [{ tokenFile: file('empty', '\n') }, /file is empty/],
      [{ readOnlyTokenFile: file('short', 'abc') }, /mcp_readonly_token_file .*at least 16/],
      [
        {
          tokenFile: file('same1', 'same-token-0123456789'),
          readOnlyTokenFile: file('same2', 'same-token-0123456789'),
        },
        /same token/,
      ],
    ];
    for (const [files, message] of cases) {
      const error = await Tokens.load(files).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpTokenFileError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
