/**
 * One task, from discovery to its pull request (SPEC §8):
 * `discovered → claiming → claimed → preparing → working → publishing → reporting → done`,
 * or `escalated`, `failed` (lease released with a reason), `lost` (lease lost, effects
 * stopped), and `skipped` (another agent holds the claim).
 *
 * Pure: every effect is a named actor or action provided where the actor is created.
 * While the lease is held (the `active` state) the `renewLease` actor runs; when it reports
 * `lease.lost`, the task goes to `lost` at once and every running effect is stopped.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';

export interface TaskInput {
  key: string;
  title: string;
  body: string;
  labels: string[];
  /** `OWNER/NAME` */
  repo: string;
  /** This agent's name (shown on the forge). */
  agent: string;
}

/** One thing that happened while working, for the reasoner. */
export type TaskHistoryEntry =
  | { kind: 'command'; command: string; exitCode: number; stdout: string; stderr: string }
  | { kind: 'advice'; from: string; text: string };

/** What the reasoning step decided, as the task machine sees it. */
export type StepDecision =
  | { kind: 'command'; command: string }
  | { kind: 'done'; summary: string }
  | { kind: 'help'; question: string }
  | { kind: 'escalate'; reason: string }
  | { kind: 'fail'; reason: string };

export interface TaskContext extends TaskInput {
  token: number | null;
  history: TaskHistoryEntry[];
  steps: number;
  decision: StepDecision | null;
  branch: string | null;
  pr: { number: number; url: string } | null;
  summary: string | null;
  reason: string | null;
  outcome: TaskOutput['state'] | null;
}

export type TaskEvent = { type: 'lease.lost'; reason: string } | { type: 'bzzz.stop' };

export type TaskState =
  | 'discovered'
  | 'claiming'
  | 'claimed'
  | 'preparing'
  | 'working'
  | 'publishing'
  | 'reporting'
  | 'done'
  | 'escalated'
  | 'failed'
  | 'lost'
  | 'skipped';

export interface TaskOutput {
  state: 'done' | 'escalated' | 'failed' | 'lost' | 'skipped' | 'stopped';
  pr: { number: number; url: string } | null;
  reason: string | null;
}

const notProvided = (name: string) => () => {
  throw new Error(`task effect "${name}" was not provided`);
};

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function finalState(outcome: 'done' | 'escalated' | 'failed' | 'skipped') {
  return {
    type: 'final' as const,
    entry: [
      { type: 'finish' as const, params: { outcome } },
      { type: 'progress' as const, params: { state: outcome } },
    ],
  };
}

export const taskMachine = setup({
  types: {
    input: {} as TaskInput,
    context: {} as TaskContext,
    events: {} as TaskEvent,
    output: {} as TaskOutput,
  },
  actors: {
    /** Wins the lease: resolves with its fencing token, or null when another agent holds it. */
    claimLease: fromPromise<number | null, { key: string }>(notProvided('claimLease')),
    /** Renews the lease while it runs; sends `lease.lost` when renewal fails. */
    renewLease: fromCallback<{ type: 'lease.lost'; reason: string }>(() => undefined),
    /** Tells the forge (assignee, label, comment): advice for humans, after the lease is won. */
    markClaimed: fromPromise<void>(notProvided('markClaimed')),
    /** Creates the sandbox and the clone on the task's branch. */
    prepare: fromPromise<{ branch: string }>(notProvided('prepare')),
    /** The next step from the reasoner. */
    reason: fromPromise<StepDecision, { history: TaskHistoryEntry[]; steps: number }>(notProvided('reason')),
    /** Runs one command in the sandbox. */
    execute: fromPromise<TaskHistoryEntry, { command: string }>(notProvided('execute')),
    /** Asks other agents (HMMM); resolves with advice, or null when none came in time. */
    askHelp: fromPromise<{ from: string; text: string } | null, { question: string }>(notProvided('askHelp')),
    /** Commit, push the task's branch, open or find the pull request. */
    publish: fromPromise<{ pr: { number: number; url: string } | null }, { summary: string }>(
      notProvided('publish'),
    ),
    /** Completion on the forge, WHOOSH and `task_complete`. */
    report: fromPromise<void, { summary: string; pr: { number: number; url: string } | null }>(
      notProvided('report'),
    ),
    /** The escalation webhook and the forge's `escalated` mark. */
    escalate: fromPromise<void, { reason: string; history: TaskHistoryEntry[] }>(notProvided('escalate')),
    /** The forge's `failed` mark, fenced. */
    reportFailure: fromPromise<void, { reason: string }>(notProvided('reportFailure')),
    /** Destroys the sandbox and releases the lease (when still held) with the reason. */
    cleanup: fromPromise<void, { release: boolean; reason: string }>(notProvided('cleanup')),
  },
  actions: {
    /** Reports the state reached (`task_progress`, read model). */
    progress: (_, _params: { state: TaskState }) => undefined,
    /** A stop that arrives while the task is releasing: it finishes first, then the actor ends. */
    stopRequested: () => undefined,
    recordError: assign({ reason: ({ event }) => errorText((event as { error?: unknown }).error) }),
    finish: assign({ outcome: (_, params: { outcome: TaskOutput['state'] }) => params.outcome }),
  },
  guards: {
    won: (_, token: number | null) => token !== null,
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({
    ...input,
    token: null,
    history: [],
    steps: 0,
    decision: null,
    branch: null,
    pr: null,
    summary: null,
    reason: null,
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
            onDone: 'preparing',
            onError: { target: 'failing', actions: 'recordError' },
          },
        },
        preparing: {
          entry: { type: 'progress', params: { state: 'preparing' } },
          invoke: {
            src: 'prepare',
            onDone: { target: 'working', actions: assign({ branch: ({ event }) => event.output.branch }) },
            onError: { target: 'failing', actions: 'recordError' },
          },
        },
        working: {
          entry: { type: 'progress', params: { state: 'working' } },
          initial: 'reasoning',
          states: {
            reasoning: {
              invoke: {
                src: 'reason',
                input: ({ context }) => ({ history: context.history, steps: context.steps }),
                onDone: [
                  {
                    guard: ({ event }) => event.output.kind === 'command',
                    target: 'executing',
                    actions: assign({ decision: ({ event }) => event.output }),
                  },
                  {
                    guard: ({ event }) => event.output.kind === 'done',
                    target: '#task.active.publishing',
                    actions: assign({
                      summary: ({ event }) => (event.output.kind === 'done' ? event.output.summary : null),
                    }),
                  },
                  {
                    guard: ({ event }) => event.output.kind === 'help',
                    target: 'helping',
                    actions: assign({ decision: ({ event }) => event.output }),
                  },
                  {
                    guard: ({ event }) => event.output.kind === 'escalate',
                    target: '#task.active.escalating',
                    actions: assign({
                      reason: ({ event }) => (event.output.kind === 'escalate' ? event.output.reason : null),
                    }),
                  },
                  {
                    target: '#task.active.failing',
                    actions: assign({
                      reason: ({ event }) =>
                        event.output.kind === 'fail' ? event.output.reason : 'unknown decision',
                    }),
                  },
                ],
                onError: { target: '#task.active.failing', actions: 'recordError' },
              },
            },
            executing: {
              invoke: {
                src: 'execute',
                input: ({ context }) => ({
                  command: context.decision?.kind === 'command' ? context.decision.command : 'false',
                }),
                onDone: {
                  target: 'reasoning',
                  actions: assign({
                    history: ({ context, event }) => [...context.history, event.output],
                    steps: ({ context }) => context.steps + 1,
                  }),
                },
                onError: { target: '#task.active.failing', actions: 'recordError' },
              },
            },
            helping: {
              invoke: {
                src: 'askHelp',
                input: ({ context }) => ({
                  question: context.decision?.kind === 'help' ? context.decision.question : '',
                }),
                onDone: [
                  {
                    guard: ({ event }) => event.output !== null,
                    target: 'reasoning',
                    actions: assign({
                      history: ({ context, event }) =>
                        event.output === null
                          ? context.history
                          : [
                              ...context.history,
                              { kind: 'advice' as const, from: event.output.from, text: event.output.text },
                            ],
                    }),
                  },
                  {
                    target: '#task.active.escalating',
                    actions: assign({
                      reason: ({ context }) =>
                        `no useful answer to: ${context.decision?.kind === 'help' ? context.decision.question : ''}`,
                    }),
                  },
                ],
                onError: { target: '#task.active.escalating', actions: 'recordError' },
              },
            },
          },
        },
        publishing: {
          entry: { type: 'progress', params: { state: 'publishing' } },
          invoke: {
            src: 'publish',
            input: ({ context }) => ({ summary: context.summary ?? context.title }),
            onDone: { target: 'reporting', actions: assign({ pr: ({ event }) => event.output.pr }) },
            onError: { target: 'failing', actions: 'recordError' },
          },
        },
        reporting: {
          entry: { type: 'progress', params: { state: 'reporting' } },
          invoke: {
            src: 'report',
            input: ({ context }) => ({ summary: context.summary ?? context.title, pr: context.pr }),
            onDone: '#task.finishing',
            onError: { target: 'failing', actions: 'recordError' },
          },
        },
        escalating: {
          invoke: {
            src: 'escalate',
            input: ({ context }) => ({ reason: context.reason ?? 'escalated', history: context.history }),
            onDone: '#task.releasingEscalated',
            onError: { target: '#task.releasingEscalated', actions: 'recordError' },
          },
        },
        failing: {
          invoke: {
            src: 'reportFailure',
            input: ({ context }) => ({ reason: context.reason ?? 'failed' }),
            onDone: '#task.releasingFailed',
            onError: '#task.releasingFailed',
          },
        },
      },
    },
    finishing: {
      on: { 'bzzz.stop': { actions: 'stopRequested' } },
      invoke: {
        src: 'cleanup',
        input: () => ({ release: true, reason: 'done' }),
        onDone: '#task.done',
        onError: '#task.done',
      },
    },
    releasingEscalated: {
      on: { 'bzzz.stop': { actions: 'stopRequested' } },
      invoke: {
        src: 'cleanup',
        input: ({ context }) => ({ release: true, reason: `escalated: ${context.reason ?? ''}` }),
        onDone: '#task.escalated',
        onError: '#task.escalated',
      },
    },
    releasingFailed: {
      on: { 'bzzz.stop': { actions: 'stopRequested' } },
      invoke: {
        src: 'cleanup',
        input: ({ context }) => ({ release: true, reason: `failed: ${context.reason ?? ''}` }),
        onDone: '#task.failed',
        onError: '#task.failed',
      },
    },
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
