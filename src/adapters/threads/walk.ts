/**
 * Reading thread nodes back and walking a thread from its head. Bytes come from the local
 * content store, or from a replica through the fetch hook (verified against the hash and
 * stored, pinned, before they are read); a node that cannot be read is reported with its
 * reason and the walk goes on with the others. Hashes make cycles impossible, and the walk is
 * capped anyway.
 */
import { isBlobHash, type ContentStore } from '../cas/index.js';
import { describeError } from '../../lib/errors.js';
import { decodeThreadNode, type ThreadNode } from '../../protocol/thread-node.js';
import type { BlobFetch, HistoryOptions, ThreadEntry, ThreadHistory, UnreadableNode } from './types.js';

/** What reading one node gave. */
export type NodeRead =
  { ok: true; node: ThreadNode } | { ok: false; problem: 'missing' | 'corrupt'; reason: string };

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

/** Errors of the store that mean the bytes are bad, not absent. */
const CORRUPT = new Set(['CorruptBlobError', 'HashMismatchError', 'ThreadNodeError', 'BadHashError']);

/** Reads one node: from the store, else fetched from a replica. Never throws. */
export async function readNode(
  store: ContentStore,
  fetchBlob: BlobFetch | undefined,
  hash: string,
): Promise<NodeRead> {
  if (!isBlobHash(hash)) return { ok: false, problem: 'corrupt', reason: 'not a blob hash' };
  try {
    if (!(await store.has(hash))) {
      const source = fetchBlob === undefined ? undefined : await fetchBlob(hash);
      if (source === undefined)
        return { ok: false, problem: 'missing', reason: 'not held here and no replica gave it' };
      await store.putVerified(hash, source, { pin: true });
    }
    return { ok: true, node: decodeThreadNode(await store.get(hash), hash) };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return { ok: false, problem: CORRUPT.has(name) ? 'corrupt' : 'missing', reason: describeError(error) };
  }
}

/** Walks back from `head`, newest first, reading at most `limit` nodes. */
export async function walkThread(
  read: (hash: string) => Promise<NodeRead>,
  head: string,
  options: HistoryOptions = {},
): Promise<ThreadHistory> {
  const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
  const found: ThreadEntry[] = [];
  const missing: UnreadableNode[] = [];
  const corrupt: UnreadableNode[] = [];
  const seen = new Set<string>([head]);
  const queue = [head];
  let task: string | undefined;
  while (queue.length > 0 && found.length < limit) {
    const hash = queue.shift() as string;
    const result = await readNodeOf(read, hash, task);
    if (!result.ok) {
      (result.problem === 'missing' ? missing : corrupt).push({ hash, reason: result.reason });
      continue;
    }
    task ??= result.node.task;
    found.push({ hash, node: result.node });
    for (const parent of result.node.parents) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent);
    }
  }
  return { head, nodes: oldestFirst(found), missing, corrupt, truncated: queue.length > 0 };
}

/** A node read for a thread of `task`: a node of another task is corrupt there. */
async function readNodeOf(
  read: (hash: string) => Promise<NodeRead>,
  hash: string,
  task: string | undefined,
): Promise<NodeRead> {
  const result = await read(hash);
  if (!result.ok || task === undefined || result.node.task === task) return result;
  return { ok: false, problem: 'corrupt', reason: `a node of task ${result.node.task}, not of ${task}` };
}

/**
 * The nodes in an order where each comes after every parent of it that was read; among the
 * nodes free to come next, the oldest (then the lowest hash) first, so every reader agrees.
 */
export function oldestFirst(entries: readonly ThreadEntry[]): ThreadEntry[] {
  const byHash = new Map(entries.map((e) => [e.hash, e]));
  const waiting = new Map(
    entries.map((e) => [e.hash, new Set(e.node.parents.filter((p) => byHash.has(p) && p !== e.hash))]),
  );
  const ordered: ThreadEntry[] = [];
  while (waiting.size > 0) {
    let next: ThreadEntry | undefined;
    for (const [hash, parents] of waiting) {
      if (parents.size > 0) continue;
      const entry = byHash.get(hash) as ThreadEntry;
      if (next === undefined || before(entry, next)) next = entry;
    }
    // only a hash collision could leave a cycle: the rest goes by age
    const chosen = next ?? [...waiting.keys()].map((h) => byHash.get(h) as ThreadEntry).sort(compare)[0];
    if (chosen === undefined) break;
    ordered.push(chosen);
    waiting.delete(chosen.hash);
    for (const parents of waiting.values()) parents.delete(chosen.hash);
  }
  return ordered;
}

function compare(a: ThreadEntry, b: ThreadEntry): number {
  return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

function before(a: ThreadEntry, b: ThreadEntry): boolean {
  const at = Date.parse(a.node.at) - Date.parse(b.node.at);
  return at !== 0 ? at < 0 : a.hash < b.hash;
}
