/**
 * The forge the tasks of a node use, audited: each fenced effect (the claim marker, the push,
 * the pull request, the completion report) is an `effect` entry of the node's audit log with
 * the lease's token and holder, once the effect is done or refused (`outcome`: `ok`, or
 * `error` with the error's name and message: a stale token, a lost lease, a failed request).
 * The effect waits for its entry to be durable (a record failure is logged and counted, never
 * thrown), so the log is never behind the forge by more than a crash in between.
 */
import type { AuditInput } from '../adapters/audit/index.js';
import type { Fenced, FencedEffect, Forge } from '../adapters/forge/index.js';
import type { JsonValue } from '../protocol/fields.js';

type Details = Record<string, JsonValue>;

export function auditedForge(forge: Forge, record: (input: AuditInput) => Promise<void>): Forge {
  async function effect<T>(
    name: FencedEffect,
    key: string,
    fenced: Fenced,
    run: () => Promise<T>,
    details: (result: T) => Details,
  ): Promise<T> {
    const base = { effect: name, holder: fenced.holder };
    const entry = (data: Details): Promise<void> =>
      record({ kind: 'effect', task: key, token: fenced.token, data: { ...base, ...data } });
    let result: T;
    try {
      result = await run();
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      await entry({ outcome: 'error', error: `${e.name}: ${e.message}`.slice(0, 1024) });
      throw error;
    }
    await entry({ outcome: 'ok', ...details(result) });
    return result;
  }

  return {
    get kind() {
      return forge.kind;
    },
    listRepos: () => forge.listRepos(),
    cloneUrl: (repo) => forge.cloneUrl(repo),
    listOpenTasks: (repo) => forge.listOpenTasks(repo),
    getTask: (key) => forge.getTask(key),
    taskRecords: (repo) => forge.taskRecords(repo),
    taskRecord: (key) => forge.taskRecord(key),
    findPullRequest: (query) => forge.findPullRequest(query),
    listPullRequests: (key) => forge.listPullRequests(key),
    branchLease: (key) => forge.branchLease(key),
    ...(forge.branchHead === undefined
      ? {}
      : { branchHead: (repo: string, branch: string) => forge.branchHead!(repo, branch) }),
    markClaimed: (key, options) =>
      effect(
        'claim',
        key,
        options,
        () => forge.markClaimed(key, options),
        () => ({ agent: options.agent }),
      ),
    pushBranch: (options) =>
      effect(
        'push',
        options.key,
        options,
        () => forge.pushBranch(options),
        (pushed) => ({ branch: pushed.branch, commit: pushed.commit }),
      ),
    openPullRequest: (options) =>
      effect(
        'pull-request',
        options.key,
        options,
        () => forge.openPullRequest(options),
        ({ pr, created }) => ({ branch: options.branch, pr: pr.number, url: pr.url, created }),
      ),
    reportComplete: (key, options) =>
      effect(
        'report',
        key,
        options,
        () => forge.reportComplete(key, options),
        () => ({ result: options.outcome ?? 'done', pr: options.pr ?? null }),
      ),
  };
}
