/**
 * The SQLite writes: one row per record, idempotent by id (`INSERT OR IGNORE`: a batch written
 * again after a failure lands once). Money as integer nano-dollars, times as ms since the epoch.
 */
import type { SQLInputValue } from 'node:sqlite';
import { toNanoUsd, type StoredTaskOutcome } from './records.js';
import type { UsageRecord } from './types.js';

export const INSERT_USAGE = `INSERT OR IGNORE INTO bzzz_usage (id, at, key, node, task, model,
  prompt_tokens, completion_tokens, cost_nano_usd, status, latency_ms, stream)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_TASK = `INSERT OR IGNORE INTO bzzz_task_history (id, key, repo, state, holder,
  node, rounds, prompt_tokens, completion_tokens, cost_nano_usd, started_at, ended_at, pr, reason)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function usageRow(u: UsageRecord): SQLInputValue[] {
  const cost = toNanoUsd(u.costUsd);
  const head = [u.id, u.at, u.key, u.node, u.task, u.model];
  return [...head, u.promptTokens, u.completionTokens, cost, u.status, u.latencyMs, u.stream ? 1 : 0];
}

export function taskRow(t: StoredTaskOutcome): SQLInputValue[] {
  const cost = toNanoUsd(t.costUsd);
  const head = [t.id, t.key, t.repo, t.state, t.holder, t.node, t.rounds];
  return [...head, t.promptTokens, t.completionTokens, cost, t.startedAt, t.endedAt, t.pr, t.reason];
}
