/**
 * Task threads over the node's content store: every node a pinned blob (so the CAS replicator
 * keeps copies on other nodes), each task's heads in memory. Appends and adoptions of one task
 * run one at a time, so two appends never fork the thread by reading the same heads.
 */
import { describeError } from '../../lib/errors.js';
import {
  encodeThreadNode,
  MAX_THREAD_PARENTS,
  type ThreadAuthor,
  type ThreadBody,
  type ThreadNode,
  type ThreadNodeKind,
} from '../../protocol/thread-node.js';
import type { HistoryOptions, TaskThreads, ThreadHistory, ThreadsComponents, ThreadsInit } from './types.js';
import { readNode, walkThread, type NodeRead } from './walk.js';

/** How far back an adoption looks for the heads the adopted node descends from. */
const ADOPT_DEPTH = 64;

/** One task's thread on this node. */
interface TaskThread {
  /** Concurrent heads, the one learnt last at the end. */
  heads: string[];
  /** Nodes this thread already holds (written here or adopted), to ignore a repeated adoption. */
  known: Set<string>;
  /** The end of this task's queue of appends and adoptions. */
  queue: Promise<unknown>;
}

export class CasTaskThreads implements TaskThreads {
  readonly #threads = new Map<string, TaskThread>();
  readonly #maxTasks: number;

  constructor(
    init: ThreadsInit,
    private readonly c: ThreadsComponents,
  ) {
    this.#maxTasks = init.maxTasks ?? 10_000;
  }

  head(task: string): string | undefined {
    return this.#threads.get(task)?.heads.at(-1);
  }

  heads(task: string): readonly string[] {
    return [...(this.#threads.get(task)?.heads ?? [])];
  }

  append<K extends ThreadNodeKind>(
    task: string,
    kind: K,
    body: ThreadBody<K>,
    from: ThreadAuthor,
  ): Promise<string> {
    return this.#serial(task, async (thread) => {
      const node = {
        v: 1,
        task,
        kind,
        parents: [...thread.heads].sort(),
        from,
        at: new Date(this.c.clock.now()).toISOString(),
        body,
      } as ThreadNode;
      const { hash } = await this.c.store.put(encodeThreadNode(node), { pin: true });
      thread.heads = [hash];
      thread.known.add(hash);
      return hash;
    });
  }

  adopt(task: string, hash: string): Promise<void> {
    return this.#serial(task, async (thread) => {
      if (thread.known.has(hash)) return;
      const history = await walkThread(this.#read, hash, { limit: ADOPT_DEPTH });
      const adopted = history.nodes.find((entry) => entry.hash === hash);
      if (adopted !== undefined && adopted.node.task !== task) {
        this.c.logger.warn({ task, hash, of: adopted.node.task }, 'thread node of another task not adopted');
        return;
      }
      const ancestors = new Set(history.nodes.map((entry) => entry.hash));
      for (const entry of history.nodes) thread.known.add(entry.hash);
      thread.known.add(hash);
      // a node names at most MAX_THREAD_PARENTS parents: past that, the oldest heads give way
      thread.heads = [...thread.heads.filter((h) => !ancestors.has(h)), hash].slice(-MAX_THREAD_PARENTS);
      if (history.nodes.length === 0)
        this.c.logger.debug({ task, hash }, 'thread node not readable yet: kept as a head');
    }).catch((error: unknown) => {
      this.c.logger.warn({ task, hash, err: describeError(error) }, 'thread node not adopted');
    });
  }

  history(head: string, options?: HistoryOptions): Promise<ThreadHistory> {
    return walkThread(this.#read, head, options);
  }

  readonly #read = (hash: string): Promise<NodeRead> => readNode(this.c.store, this.c.fetchBlob, hash);

  /** Runs `work` after the task's earlier appends and adoptions. */
  #serial<T>(task: string, work: (thread: TaskThread) => Promise<T>): Promise<T> {
    const thread = this.#thread(task);
    const run = thread.queue.then(() => work(thread));
    thread.queue = run.catch(() => undefined);
    return run;
  }

  /** The task's thread, made when first needed; the least recently used goes past the bound. */
  #thread(task: string): TaskThread {
    let thread = this.#threads.get(task);
    if (thread !== undefined) {
      this.#threads.delete(task);
    } else {
      thread = { heads: [], known: new Set(), queue: Promise.resolve() };
      const oldest = this.#threads.size >= this.#maxTasks ? this.#threads.keys().next().value : undefined;
      if (oldest !== undefined) this.#threads.delete(oldest);
    }
    this.#threads.set(task, thread);
    return thread;
  }
}
