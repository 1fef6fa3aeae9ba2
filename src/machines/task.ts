/**
 * One task, from discovery to its pull request (SPEC §8):
 * `discovered → claiming → claimed → preparing → working → publishing → reporting → done`,
 * or `escalated`, `failed` (lease released with a reason), `lost` (lease lost, effects
 * stopped), and `skipped` (another agent holds the claim). Between preparing and working the
 * machine is `planning` (peers review the agent's plan), reported as `preparing` on the wire.
 *
 * Pure: every effect is a named actor or action provided where the actor is created, and the
 * task's facts (the issue as read after claiming, the base branch, the step count, the last
 * error) are assigned here from the effects' outputs. While the lease is held (the `active`
 * state) the `renewLease` actor runs; when it reports `lease.lost`, the task goes to `lost`
 * at once and every running effect is stopped.
 */
import { assign } from 'xstate';
import { errorText, failing, facts, finalState, finishedMeanwhile, releasing } from './task-effects.js';
import { taskSetup } from './task-setup.js';
import { planningState, workingState } from './task-states.js';

export type * from './task-types.js';

export const taskMachine = taskSetup.createMachine({
  id: 'task',
  context: ({ input }) => ({
    ...input,
    token: null,
    history: [],
    steps: 0,
    decision: null,
    branch: null,
    base: null,
    files: [],
    network: null,
    pr: null,
    summary: null,
    reason: null,
    lastError: null,
    outcome: null,
  }),
  initial: 'discovered',
  states: {
    discovered: {
      entry: { type: 'progress', params: { state: 'discovered' } },
      always: 'claiming',
    },
    claiming: {
      entry: { type: 'progress', params: { state: 'claiming' } },
      invoke: {
        src: 'claimLease',
        input: ({ context }) => ({ key: context.key }),
        onDone: [
          {
            guard: { type: 'won', params: ({ event }) => event.output },
            target: 'active',
            actions: assign({ token: ({ event }) => event.output }),
          },
          { target: 'skipped' },
        ],
        onError: { target: 'failed', actions: assign({ reason: ({ event }) => errorText(event.error) }) },
      },
      on: { 'bzzz.stop': 'stopping' },
    },
    active: {
      invoke: { src: 'renewLease' },
      on: {
        'lease.lost': { target: 'lost', actions: assign({ reason: ({ event }) => event.reason }) },
        'bzzz.stop': { target: 'stopping' },
      },
      initial: 'claimed',
      states: {
        claimed: {
          entry: { type: 'progress', params: { state: 'claimed' } },
          invoke: {
            src: 'markClaimed',
            input: ({ context }) => ({ token: context.token ?? 0 }),
            onDone: {
              target: 'preparing',
              actions: assign(({ event }) => ({ ...event.output })),
            },
            onError: [
              {
                // the forge refused the marker: the task got its outcome after the lease was won
                guard: ({ event }) => finishedMeanwhile(event.error),
                target: '#task.releasingSkipped',
              },
              failing,
            ],
          },
        },
        preparing: {
          entry: { type: 'progress', params: { state: 'preparing' } },
          invoke: {
            src: 'prepare',
            onDone: { target: 'planning', actions: assign(({ event }) => ({ ...event.output })) },
            onError: failing,
          },
        },
        planning: planningState,
        working: workingState,
        publishing: {
          entry: { type: 'progress', params: { state: 'publishing' } },
          invoke: {
            src: 'publish',
            input: ({ context }) => ({ summary: context.summary ?? context.title, task: facts(context) }),
            onDone: { target: 'reporting', actions: assign({ pr: ({ event }) => event.output.pr }) },
            onError: failing,
          },
        },
        reporting: {
          entry: { type: 'progress', params: { state: 'reporting' } },
          invoke: {
            src: 'report',
            input: ({ context }) => ({
              summary: context.summary ?? context.title,
              pr: context.pr,
              branch: context.branch,
            }),
            onDone: '#task.finishing',
            onError: failing,
          },
        },
        escalating: {
          invoke: {
            src: 'escalate',
            input: ({ context }) => ({
              reason: context.reason ?? 'escalated',
              history: context.history,
              task: facts(context),
            }),
            onDone: '#task.releasingEscalated',
            onError: { target: '#task.releasingEscalated', actions: 'recordError' },
          },
        },
        failing: {
          invoke: {
            src: 'reportFailure',
            input: ({ context }) => ({ reason: context.reason ?? 'failed', lastError: context.lastError }),
            onDone: '#task.releasingFailed',
            onError: '#task.releasingFailed',
          },
        },
      },
    },
    finishing: releasing('#task.done', () => 'done'),
    releasingEscalated: releasing('#task.escalated', (context) => `escalated: ${context.reason ?? ''}`),
    releasingFailed: releasing('#task.failed', (context) => `failed: ${context.reason ?? ''}`),
    releasingSkipped: releasing('#task.skipped', () => 'task already finished'),
    stopping: {
      invoke: {
        src: 'cleanup',
        input: () => ({ release: true, reason: 'agent stopping' }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    lost: {
      entry: { type: 'progress', params: { state: 'lost' } },
      invoke: {
        src: 'cleanup',
        input: ({ context }) => ({ release: false, reason: `lost: ${context.reason ?? ''}` }),
        onDone: 'lostDone',
        onError: 'lostDone',
      },
    },
    lostDone: { type: 'final', entry: { type: 'finish', params: { outcome: 'lost' } } },
    stopped: { type: 'final', entry: { type: 'finish', params: { outcome: 'stopped' } } },
    done: finalState('done'),
    escalated: finalState('escalated'),
    failed: finalState('failed'),
    skipped: finalState('skipped'),
  },
  output: ({ context }) => ({ state: context.outcome ?? 'failed', pr: context.pr, reason: context.reason }),
});
