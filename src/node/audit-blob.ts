/**
 * A task's `audit` name (issue 16): the entries of this node's audit log that name the task,
 * each with its blob hash, as one pinned blob of canonical JSON
 * (`{"v":1,"task","node","entries":[...]}`). It is made when the task's recording is, so it
 * holds what was committed by then (the claim, renewals, fenced effects, an escalation); the
 * release and the outcome come after it and `bzzz audit show --task` lists them.
 */
import { taskEntries } from '../adapters/audit/index.js';
import type { ContentStore } from '../adapters/cas/index.js';
import { canonicalBytes } from '../protocol/canonical.js';

export function auditBlobOf(
  dataDir: string,
  nodeId: string,
  store: ContentStore,
): (task: string) => Promise<string | undefined> {
  return async (task) => {
    const { entries } = await taskEntries(dataDir, task);
    if (entries.length === 0) return undefined;
    const { hash } = await store.put(canonicalBytes({ v: 1, task, node: nodeId, entries }), { pin: true });
    return hash;
  };
}
