/**
 * The task machine with every effect faked: the lifecycle of SPEC §8, and what it does when
 * the lease is lost (no further effect, the lease is not released) or another agent holds it.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, toPromise } from 'xstate';
import {
  taskMachine,
  type ClaimedIssue,
  type PreparedWorkspace,
  type StepDecision,
  type TaskError,
  type TaskFacts,
  type TaskHistoryEntry,
  type TaskState,
} from '../../src/machines/task.js';
import type { ReleasedOutcome } from '../../src/machines/task-effects.js';

const input = { key: 'local:demo/app#1', title: 'T', body: '', labels: [], repo: 'demo/app', agent: 'a1' };

interface RunOptions {
  token?: number | null;
  decisions?: StepDecision[];
  loseLeaseOn?: 'execute';
  /** An error the claim marker throws. */
  markError?: Error;
}

function run(options: RunOptions = {}) {
  const effects: string[] = [];
  const states: TaskState[] = [];
  const reasonedAbout: { files: string[]; network: boolean | null }[] = [];
  const decisions = [
    ...(options.decisions ?? [
      { kind: 'command', command: 'make' },
      { kind: 'done', summary: 'ok' },
    ]),
  ];
  let loseLease: (() => void) | undefined;
  const logic = taskMachine.provide({
    actors: {
      claimLease: fromPromise<number | null, { key: string }>(async () =>
        options.token === undefined ? 7 : options.token,
      ),
      renewLease: fromCallback(({ sendBack }) => {
        loseLease = () => sendBack({ type: 'lease.lost', reason: 'taken' });
      }),
      markClaimed: fromPromise<ClaimedIssue, { token: number }>(async () => {
        effects.push('markClaimed');
        if (options.markError !== undefined) throw options.markError;
        return { title: 'T', body: '', labels: [] };
      }),
      prepare: fromPromise<PreparedWorkspace>(async () => {
        effects.push('prepare');
        return { branch: 'bzzz/task-1', base: 'main', files: ['README.md', 'src/'], network: false };
      }),
      reason: fromPromise<StepDecision, { task: TaskFacts; history: TaskHistoryEntry[]; steps: number }>(
        async ({ input: i }) => {
          reasonedAbout.push({ files: i.task.files, network: i.task.network });
          return decisions.shift() ?? { kind: 'fail', reason: 'no more steps' };
        },
      ),
      execute: fromPromise<TaskHistoryEntry, { command: string; step: number }>(async ({ input: i }) => {
        effects.push(`execute ${i.command}`);
        if (options.loseLeaseOn === 'execute') {
          loseLease?.();
          await new Promise(() => undefined);
        }
        return { kind: 'command', command: i.command, exitCode: 0, stdout: '', stderr: '' };
      }),
      askHelp: fromPromise<{ from: string; text: string } | null, { question: string; task: TaskFacts }>(
        async () => null,
      ),
      publish: fromPromise<
        { pr: { number: number; url: string } | null },
        { summary: string; task: TaskFacts }
      >(async () => {
        effects.push('publish');
        return { pr: { number: 3, url: 'pr/3' } };
      }),
      report: fromPromise<
        void,
        { summary: string; pr: { number: number; url: string } | null; branch: string | null }
      >(async () => {
        effects.push('report');
      }),
      escalate: fromPromise<void, { reason: string; history: TaskHistoryEntry[]; task: TaskFacts }>(
        async () => {
          effects.push('escalate');
        },
      ),
      reportFailure: fromPromise<void, { reason: string; lastError: TaskError | null }>(async () => {
        effects.push('reportFailure');
      }),
      cleanup: fromPromise<void, { release: boolean; reason: string; outcome?: ReleasedOutcome }>(
        async ({ input: i }) => {
          effects.push(
            `cleanup release=${i.release}${i.outcome === undefined ? '' : ` outcome=${i.outcome}`}`,
          );
        },
      ),
    },
    actions: { progress: (_, params) => void states.push(params.state) },
  });
  const actor = createActor(logic, { input }).start();
  return { done: toPromise(actor), effects, states, reasonedAbout };
}

describe('task machine', () => {
  it('goes from discovered to done through every state, publishing once', async () => {
    const { done, effects, states, reasonedAbout } = run();
    await expect(done).resolves.toEqual({ state: 'done', pr: { number: 3, url: 'pr/3' }, reason: null });
    // every step is reasoned about with what the workspace holds and whether it reaches the network
    expect(reasonedAbout).toEqual([
      { files: ['README.md', 'src/'], network: false },
      { files: ['README.md', 'src/'], network: false },
    ]);
    expect(states).toEqual([
      'discovered',
      'claiming',
      'claimed',
      'preparing',
      'working',
      'publishing',
      'reporting',
      'done',
    ]);
    expect(effects).toEqual([
      'markClaimed',
      'prepare',
      'execute make',
      'publish',
      'report',
      'cleanup release=true outcome=done',
    ]);
  });

  it('ends skipped, with no effect, when another agent holds the claim', async () => {
    const { done, effects } = run({ token: null });
    await expect(done).resolves.toMatchObject({ state: 'skipped' });
    expect(effects).toEqual([]);
  });

  it('gives the lease back and ends skipped, reporting nothing, when the forge finds the task finished', async () => {
    const finished = Object.assign(new Error('task local:demo/app#1 is already finished'), {
      name: 'TaskFinishedError',
    });
    const { done, effects } = run({ markError: finished });
    await expect(done).resolves.toMatchObject({ state: 'skipped' });
    expect(effects).toEqual(['markClaimed', 'cleanup release=true outcome=skipped']);
    // any other refusal of the marker is a failure, reported as such
    const other = run({ markError: new Error('forge down') });
    await expect(other.done).resolves.toMatchObject({ state: 'failed' });
    expect(other.effects).toEqual(['markClaimed', 'reportFailure', 'cleanup release=true outcome=failed']);
  });

  it('stops every effect when the lease is lost, and does not release what it no longer holds', async () => {
    const { done, effects, states } = run({ loseLeaseOn: 'execute' });
    await expect(done).resolves.toMatchObject({ state: 'lost', reason: 'taken' });
    expect(states.at(-1)).toBe('lost');
    expect(effects).toEqual(['markClaimed', 'prepare', 'execute make', 'cleanup release=false']);
  });

  it('escalates on a limit and fails on a step that fails, releasing the lease either way', async () => {
    const escalated = run({ decisions: [{ kind: 'escalate', reason: 'budget' }] });
    await expect(escalated.done).resolves.toMatchObject({ state: 'escalated', reason: 'budget' });
    expect(escalated.effects).toContain('escalate');
    expect(escalated.effects.at(-1)).toBe('cleanup release=true outcome=escalated');
    const failed = run({ decisions: [{ kind: 'fail', reason: 'step 1 exited 2' }] });
    await expect(failed.done).resolves.toMatchObject({ state: 'failed', reason: 'step 1 exited 2' });
    expect(failed.effects).not.toContain('publish');
    expect(failed.effects.at(-1)).toBe('cleanup release=true outcome=failed');
  });
});
