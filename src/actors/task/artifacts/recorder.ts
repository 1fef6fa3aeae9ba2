/**
 * A task's record (issue 16): what an agent did, kept in the content store and named.
 *
 * - `capture` runs once, right before the task's workspace is destroyed (its owner,
 *   `TaskResources`, calls it): the diff against the base, made inside the sandbox (diff.ts);
 *   then the sandbox is destroyed, so nothing moves a file while the result tree is read from
 *   the clone on the host (tree.ts).
 * - `record` runs when the task ends (any outcome but `skipped`, and only for a task this
 *   agent held): the transcript (transcript.ts in protocol) goes into the store, pinned, and
 *   the records `log`, `diff`, `tree`, `pr`, `audit` and `thread` are published
 *   (src/adapters/names/).
 *
 * Neither ever throws nor fails the task: each step is bounded by a timeout, and a failure is
 * logged and counted (`bzzz_task_recordings_total{result}`), the rest going on without it.
 */
import { isBlobHash, type ContentStore } from '../../../adapters/cas/index.js';
import type {
  TaskArtifactEntry,
  TaskArtifactPath,
  TaskNamePublisher,
} from '../../../adapters/names/index.js';
import type { Workspace } from '../../../adapters/workspace/index.js';
import type { Clock } from '../../../lib/clock.js';
import { describeError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/log.js';
import type { TaskContext } from '../../../machines/task.js';
import {
  canonicalBytes,
  taskNameIdOfKey,
  type DiffArtifact,
  type Transcript,
  type TranscriptOutcome,
  type TreeArtifact,
} from '../../../protocol/index.js';
import { captureDiff, type DiffLimits } from './diff.js';
import { captureTree, type TreeLimits } from './tree.js';

export interface TaskRecorderInit {
  nodeId: string;
  nodeName: string;
  /** The node's capabilities (the roles of its records). */
  roles: readonly string[];
  diff?: Partial<DiffLimits>;
  tree?: Partial<TreeLimits>;
  /**
   * How long capturing the diff, and then the tree, may take each (default 20 s). With the
   * record's time, it stays within the 60 s a task actor has to stop.
   */
  captureTimeoutMs?: number;
  /** How long writing the transcript and publishing the names may take (default 15 s). */
  recordTimeoutMs?: number;
}

/** What the recorder reports to (the node's /metrics); every method optional. */
export interface TaskRecorderMetrics {
  recorded?(result: 'recorded' | 'failed'): void;
  captureFailed?(artifact: 'diff' | 'tree'): void;
}

export interface TaskRecorderComponents {
  store: ContentStore;
  publisher: Pick<TaskNamePublisher, 'publish'>;
  clock: Clock;
  logger: Logger;
  metrics?: TaskRecorderMetrics | undefined;
  /** The blob of the task's audit entries, when an audit log keeps them. */
  auditBlob?: ((task: string) => Promise<string | undefined>) | undefined;
  /** The head of the task's HMMM thread, when there is one. */
  threadHead?: ((task: string) => string | undefined) | undefined;
}

/** The diff and the result tree of a workspace (null: not captured). */
export interface CapturedArtifacts {
  diff: DiffArtifact | null;
  tree: TreeArtifact | null;
}

/** What the recorder is told when a task ends. */
export interface TaskEndFacts {
  key: string;
  agent: string;
  outcome: TranscriptOutcome;
  context: Pick<TaskContext, 'history' | 'reason' | 'summary' | 'pr' | 'branch' | 'base' | 'token'>;
  /** When the task's actor started, ms since the epoch. */
  startedAt: number;
  artifacts: CapturedArtifacts | undefined;
}

/** A step that took longer than it may. */
class RecordingTimeoutError extends Error {
  override readonly name = 'RecordingTimeoutError';
}

export class TaskRecorder {
  readonly #init: TaskRecorderInit;
  readonly #c: TaskRecorderComponents;
  readonly #diff: DiffLimits;
  readonly #tree: TreeLimits;

  constructor(init: TaskRecorderInit, components: TaskRecorderComponents) {
    this.#init = init;
    this.#c = components;
    this.#diff = { maxBytes: 16 * 1024 * 1024, ...init.diff };
    this.#tree = { maxFiles: 5_000, maxBytes: 64 * 1024 * 1024, maxEntries: 100_000, ...init.tree };
  }

  /** The diff (in the sandbox), then the tree (sandbox destroyed first). Never throws. */
  async capture(key: string, workspace: Pick<Workspace, 'sandbox' | 'base'>): Promise<CapturedArtifacts> {
    const { store, logger } = this.#c;
    const diff = await this.#step(key, 'diff', () =>
      captureDiff(workspace.sandbox, workspace.base, store, this.#diff),
    );
    await workspace.sandbox.destroy().catch((error: unknown) => {
      logger.warn(
        { task: key, err: describeError(error) },
        'could not destroy the sandbox before reading its tree',
      );
    });
    const tree = await this.#step(key, 'tree', () =>
      captureTree(workspace.sandbox.workDir, store, this.#tree),
    );
    return { diff, tree };
  }

  /** Stores the transcript and publishes the task's names. Never throws. */
  async record(end: TaskEndFacts): Promise<void> {
    const { logger, metrics } = this.#c;
    try {
      const published = await this.#bounded(this.#init.recordTimeoutMs ?? 15_000, () => this.#record(end));
      metrics?.recorded?.('recorded');
      logger.info({ task: end.key, outcome: end.outcome, ...published }, 'task recorded');
    } catch (error) {
      metrics?.recorded?.('failed');
      logger.warn({ task: end.key, err: describeError(error) }, 'task not recorded');
    }
  }

  async #record(end: TaskEndFacts): Promise<Record<string, string>> {
    const { store, publisher } = this.#c;
    const transcript = this.#transcript(end);
    const log = await store.put(canonicalBytes(transcript), { pin: true });
    const entries: TaskArtifactEntry[] = [{ path: 'log', hash: log.hash, size: log.size }];
    const { diff, tree } = transcript.artifacts;
    if (diff !== null) entries.push({ path: 'diff', hash: diff.hash, size: diff.size });
    if (tree !== null) entries.push(await this.#blob('tree', tree.hash));
    if (end.context.pr !== null) entries.push({ path: 'pr', url: end.context.pr.url });
    const audit = await this.#c.auditBlob?.(end.key);
    if (audit !== undefined) entries.push(await this.#blob('audit', audit));
    const thread = this.#c.threadHead?.(end.key);
    if (thread !== undefined) entries.push(await this.#blob('thread', thread));
    const named = entries.filter((e) => 'url' in e || isBlobHash(e.hash));
    const { failed } = await publisher.publish({ key: end.key, agent: end.agent }, named);
    return {
      log: log.hash,
      names: named.map((e) => e.path).join(','),
      ...(failed.length === 0 ? {} : { unpublished: failed.join(',') }),
    };
  }

  #transcript(end: TaskEndFacts): Transcript {
    const { context } = end;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      v: 1,
      task: end.key,
      name: taskNameIdOfKey(end.key) ?? '',
      agent: end.agent,
      node: this.#init.nodeId,
      nodeName: this.#init.nodeName,
      roles: [...this.#init.roles],
      outcome: end.outcome,
      reason: context.reason,
      summary: context.summary,
      pr: context.pr,
      branch: context.branch,
      base: context.base,
      token: context.token,
      startedAt: iso(end.startedAt),
      endedAt: iso(this.#c.clock.now()),
      steps: context.history,
      artifacts: { diff: end.artifacts?.diff ?? null, tree: end.artifacts?.tree ?? null },
    };
  }

  /** A blob's entry, with its size when this node holds it (the audit's and thread's may be elsewhere). */
  async #blob(path: TaskArtifactPath, hash: string): Promise<TaskArtifactEntry> {
    const size = isBlobHash(hash) ? (await this.#c.store.stat(hash).catch(() => undefined))?.size : undefined;
    return { path, hash, size };
  }

  async #step<T>(key: string, artifact: 'diff' | 'tree', run: () => Promise<T>): Promise<T | null> {
    try {
      return await this.#bounded(this.#init.captureTimeoutMs ?? 20_000, run);
    } catch (error) {
      this.#c.metrics?.captureFailed?.(artifact);
      this.#c.logger.warn({ task: key, artifact, err: describeError(error) }, 'task artifact not captured');
      return null;
    }
  }

  #bounded<T>(ms: number, run: () => Promise<T>): Promise<T> {
    const { clock } = this.#c;
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new RecordingTimeoutError(`took longer than ${ms} ms`)),
        ms,
      );
      run().then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clock.clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(describeError(error)));
        },
      );
    });
  }
}
