/**
 * The task threads port (issue 16, SPEC §13): each task's HMMM discussion — help requests,
 * answers, escalations, plan proposals, reviews and outcomes — as a DAG of blobs in the
 * content store, each node linking to its parent(s) by BLAKE3 hash (`src/protocol/thread-node.ts`).
 * A node's head is the task's `thread` name. Implementation beside this file: over the node's
 * content store (cas-threads.ts), with a fetch hook for nodes other nodes wrote.
 */
import { CasTaskThreads } from './cas-threads.js';
import type { TaskThreads, ThreadsComponents, ThreadsInit } from './types.js';

export type * from './types.js';
export { CasTaskThreads } from './cas-threads.js';
export { describeThread } from './render.js';

/** Task threads over `components.store`. */
export function createTaskThreads(init: ThreadsInit, components: ThreadsComponents): TaskThreads {
  return new CasTaskThreads(init, components);
}
