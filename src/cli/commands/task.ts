/**
 * `bzzz task add|list|show`: tasks of the local forge with their state, claim holder, branch
 * and pull requests (`prs` lists every one ever opened, so a duplicate would show); `show`
 * adds the forge's effect log: every effect it applied, in order, with its fencing token.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  DEFAULT_LOCAL_REPO,
  InvalidRepoNameError,
  RepoNotFoundError,
  type TaskRecord,
} from '../../adapters/forge/index.js';
import { isTaskKey } from '../../protocol/task-key.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { localForge, wantsHelp } from './repo.js';
import { listHistory } from './task-history.js';

const USAGE = `Usage:
  bzzz task add --title T [--body-file F] [--repo OWNER/NAME] [--label L]...
                         add a task (repository ${DEFAULT_LOCAL_REPO} by default; an unknown
                         one is created with an initial commit on main); prints its key
  bzzz task list [--json] [--repo OWNER/NAME]
                         tasks with state, claim holder, branch and pull request
  bzzz task list --history [--json] [--repo OWNER/NAME] [--state S] [--limit N]
                         every task attempt's outcome, newest first: holder, node, rounds,
                         tokens, cost, times, pull request or reason (S: done, failed,
                         escalated, lost, stopped; N: 100); from PostgreSQL when
                         BZZZ_DATABASE_URL is set, else <data dir>/history.db
  bzzz task show KEY [--json]
                         one task in full

The local forge lives in BZZZ_FORGE_DIR (default <BZZZ_DATA_DIR or ./.bzzz>/forge).`;

export const taskCommand: Command = {
  name: 'task',
  summary: 'add, list and show tasks of the local forge',
  usage: USAGE,
  async run(io) {
    const [sub, ...rest] = io.argv;
    if (wantsHelp(io.argv)) {
      writeLine(io.stdout, USAGE);
      return 0;
    }
    if (sub === undefined) throw new UsageError('missing command: add, list or show (see --help)');
    try {
      if (sub === 'add') return await add(io, rest);
      if (sub === 'list') return await list(io, rest);
      if (sub === 'show') return await show(io, rest);
    } catch (error) {
      if (error instanceof InvalidRepoNameError) throw new UsageError(error.message);
      throw error;
    }
    throw new UsageError(`unknown task command ${JSON.stringify(sub)} (expected add, list or show)`);
  },
};

async function add(io: CommandIO, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    title: { type: 'string' },
    'body-file': { type: 'string' },
    repo: { type: 'string' },
    label: { type: 'string', multiple: true },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const title = values.title?.trim() ?? '';
  if (title === '') throw new UsageError('task add needs --title');
  let body = '';
  if (values['body-file'] !== undefined) {
    try {
      body = await readFile(resolve(io.cwd, values['body-file']), 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read --body-file ${values['body-file']}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  const labels = (values.label ?? []).map((l) => l.trim()).filter((l) => l !== '');
  const key = await localForge(io).addTask({ title, body, labels, repo: values.repo ?? DEFAULT_LOCAL_REPO });
  writeLine(io.stdout, key);
  return 0;
}

async function list(io: CommandIO, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    json: { type: 'boolean' },
    repo: { type: 'string' },
    history: { type: 'boolean' },
    state: { type: 'string' },
    limit: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError('task list takes no arguments');
  if (values.history === true) return listHistory(io, values);
  if (values.state !== undefined || values.limit !== undefined)
    throw new UsageError('--state and --limit go with --history');
  let records: TaskRecord[];
  try {
    records = await localForge(io).taskRecords(values.repo);
  } catch (error) {
    if (error instanceof RepoNotFoundError) throw new UsageError(error.message);
    throw error;
  }
  if (values.json === true) {
    // the effect log is `task show`'s: a list row stays one line per task
    writeLine(io.stdout, JSON.stringify(records.map(({ effects: _effects, ...row }) => row)));
    return 0;
  }
  if (records.length === 0) {
    writeLine(io.stdout, 'no tasks (bzzz task add --title T)');
    return 0;
  }
  const header = ['KEY', 'STATE', 'HOLDER', 'PR', 'TITLE'];
  const rows = [header, ...records.map((r) => [r.key, r.state, r.holder ?? '-', prColumn(r), r.title])];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  for (const row of rows)
    writeLine(
      io.stdout,
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    );
  return 0;
}

async function show(io: CommandIO, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } });
  const key = positionals[0];
  if (key === undefined || positionals.length > 1) throw new UsageError('task show needs exactly one KEY');
  if (!isTaskKey(key))
    throw new UsageError(`invalid task key ${JSON.stringify(key)}: expected local:OWNER/NAME#NUMBER`);
  const forge = localForge(io);
  const task = await forge.getTask(key);
  const record = await forge.taskRecord(key);
  const effects = record.effects ?? [];
  const full = { ...record, repo: task.repo, labels: task.labels, url: task.url, body: task.body, effects };
  if (values.json === true) {
    writeLine(io.stdout, JSON.stringify(full));
    return 0;
  }
  writeLine(io.stdout, `${record.key}  ${record.title}`);
  writeLine(io.stdout, `state:   ${record.state}`);
  writeLine(io.stdout, `holder:  ${record.holder ?? '-'}`);
  writeLine(io.stdout, `labels:  ${task.labels.join(', ')}`);
  writeLine(io.stdout, `branch:  ${record.branch ?? '-'}`);
  writeLine(
    io.stdout,
    `pr:      ${record.pr === null ? '-' : `#${record.pr.number} (${record.pr.state}) ${record.pr.url}`}`,
  );
  if (record.prs.length > 1)
    writeLine(io.stdout, `prs:     ${record.prs.map((p) => `#${p.number} (${p.state})`).join(', ')}`);
  for (const e of effects)
    writeLine(
      io.stdout,
      `effect:  ${e.at} ${e.effect} token ${e.token} by ${e.holder}${e.sha ? ` ${e.sha}` : ''}`,
    );
  if (task.body !== '') {
    writeLine(io.stdout);
    writeLine(io.stdout, task.body.trimEnd());
  }
  return 0;
}

function prColumn(record: TaskRecord): string {
  if (record.pr === null) return '-';
  const extra = record.prs.length > 1 ? ` (+${record.prs.length - 1})` : '';
  return `#${record.pr.number}${extra}`;
}
