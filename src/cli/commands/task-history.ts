/**
 * `bzzz task list --history`: the outcome of every task attempt, newest first, from the usage
 * store the configuration names (PostgreSQL with `database_url`, shared by the cluster; else
 * this node's `<data_dir>/history.db`). A database that cannot be reached is one clear line
 * (its URL without the password) and exit 1.
 */
import { existsSync } from 'node:fs';
import {
  historyDbPath,
  openUsageStore,
  TASK_HISTORY_STATES,
  type TaskHistoryState,
  type TaskOutcomeRecord,
} from '../../adapters/usage/index.js';
import { loadConfig } from '../../config/index.js';
import { systemClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/log.js';
import { UsageError, writeLine, type CommandIO } from '../command.js';

export interface HistoryFlags {
  json?: boolean | undefined;
  repo?: string | undefined;
  state?: string | undefined;
  limit?: string | undefined;
}

function historyQuery(flags: HistoryFlags) {
  const states: readonly string[] = TASK_HISTORY_STATES;
  if (flags.state !== undefined && !states.includes(flags.state))
    throw new UsageError(`--state must be one of ${TASK_HISTORY_STATES.join(', ')}`);
  const limit = flags.limit === undefined ? 100 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError('--limit must be a whole number from 1 to 10000');
  return {
    limit,
    ...(flags.repo === undefined ? {} : { repo: flags.repo }),
    ...(flags.state === undefined ? {} : { state: flags.state as TaskHistoryState }),
  };
}

async function readHistory(io: CommandIO, flags: HistoryFlags): Promise<TaskOutcomeRecord[]> {
  const query = historyQuery(flags);
  const config = loadConfig({ env: io.env, cwd: io.cwd });
  // no database yet on this node: nothing has ended here (and a read creates none)
  if (config.database_url === undefined && !existsSync(historyDbPath(config.data_dir))) return [];
  const store = await openUsageStore(config, { logger: silentLogger(), clock: systemClock });
  try {
    return await store.tasks(query);
  } finally {
    await store.stop();
  }
}

const tokens = (r: TaskOutcomeRecord) => String(r.promptTokens + r.completionTokens);

export async function listHistory(io: CommandIO, flags: HistoryFlags): Promise<number> {
  const records = await readHistory(io, flags);
  if (flags.json === true) {
    writeLine(io.stdout, JSON.stringify(records));
    return 0;
  }
  if (records.length === 0) {
    writeLine(io.stdout, 'no task history yet (each task attempt is recorded as it ends)');
    return 0;
  }
  const header = ['ENDED', 'KEY', 'STATE', 'HOLDER', 'ROUNDS', 'TOKENS', 'COST_USD', 'PR'];
  const rows = [
    header,
    ...records.map((r) => [
      new Date(r.endedAt).toISOString(),
      r.key,
      r.state,
      r.holder,
      String(r.rounds),
      tokens(r),
      r.costUsd.toFixed(6),
      r.pr ?? (r.reason === null ? '-' : r.reason.slice(0, 80)),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  for (const row of rows)
    writeLine(
      io.stdout,
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    );
  return 0;
}
