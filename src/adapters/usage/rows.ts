/**
 * Rows read back from either database, turned into the port's shapes. Both backends select
 * the same column names (money as integer nano-dollars, times as ms since the epoch); a
 * driver may hand numbers over as strings or bigints (PostgreSQL's BIGINT and NUMERIC), so
 * every number goes through one conversion.
 */
import {
  TASK_HISTORY_STATES,
  type TaskHistoryState,
  type TaskOutcomeRecord,
  type UsageSummary,
  type UsageSummaryGroup,
} from './types.js';

type Cell = string | number | bigint | boolean | null | undefined;

/** The summary's columns, as both backends select them. */
export interface SummaryRow {
  grp?: Cell;
  requests: Cell;
  prompt_tokens: Cell;
  completion_tokens: Cell;
  cost_nano: Cell;
}

export interface TaskRow {
  key: Cell;
  repo: Cell;
  state: Cell;
  holder: Cell;
  node: Cell;
  rounds: Cell;
  prompt_tokens: Cell;
  completion_tokens: Cell;
  cost_nano: Cell;
  started_at: Cell;
  ended_at: Cell;
  pr: Cell;
  reason: Cell;
}

export function num(cell: Cell): number {
  const n = typeof cell === 'number' ? cell : Number(cell ?? 0);
  return Number.isFinite(n) ? n : 0;
}

const str = (cell: Cell): string => (cell === null || cell === undefined ? '' : String(cell));
const optionalStr = (cell: Cell): string | null =>
  cell === null || cell === undefined ? null : String(cell);
const usd = (nano: Cell): number => Math.round(num(nano)) / 1e9;

function totals(row: SummaryRow | undefined) {
  return {
    requests: num(row?.requests),
    prompt_tokens: num(row?.prompt_tokens),
    completion_tokens: num(row?.completion_tokens),
    cost_usd: usd(row?.cost_nano),
  };
}

/** The summary from the totals row and the group rows (sorted by group, code unit order). */
export function toSummary(total: SummaryRow | undefined, groups: readonly SummaryRow[]): UsageSummary {
  const out: UsageSummaryGroup[] = groups.map((row) => ({ group: str(row.grp), ...totals(row) }));
  out.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return { ...totals(total), groups: out };
}

const STATES: ReadonlySet<string> = new Set(TASK_HISTORY_STATES);

export function toTaskOutcome(row: TaskRow): TaskOutcomeRecord {
  const state = str(row.state);
  return {
    key: str(row.key),
    repo: str(row.repo),
    // the table's CHECK holds the states; an unknown one (a newer node's) reads as failed
    state: (STATES.has(state) ? state : 'failed') as TaskHistoryState,
    holder: str(row.holder),
    node: str(row.node),
    rounds: num(row.rounds),
    promptTokens: num(row.prompt_tokens),
    completionTokens: num(row.completion_tokens),
    costUsd: usd(row.cost_nano),
    startedAt: Math.round(num(row.started_at)),
    endedAt: Math.round(num(row.ended_at)),
    pr: optionalStr(row.pr),
    reason: optionalStr(row.reason),
  };
}
