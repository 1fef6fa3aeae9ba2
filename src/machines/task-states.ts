/**
 * States of the task machine kept apart from its outline (task.ts): `planning` (the agent's
 * plan reviewed by its peers) and `working` (reason, execute, observe; ask for help).
 */
import { assign } from 'xstate';
import { decided, facts, failing, question, withModelContext } from './task-effects.js';
import { taskSetup } from './task-setup.js';

/**
 * The plan goes to the task's HMMM channel and peers review it: their suggestions join the
 * history; suggestions the agent cannot reconcile escalate. Planning is advice: an effect that
 * fails leaves the agent to work alone.
 */
export const planningState = taskSetup.createStateConfig({
  invoke: {
    src: 'reviewPlan',
    input: ({ context }) => ({ task: facts(context) }),
    onDone: [
      {
        guard: ({ event }) => event.output.outcome === 'escalated',
        target: '#task.active.escalating',
        actions: assign({
          reason: ({ event }) => event.output.reason ?? 'plan reviews cannot be reconciled',
        }),
      },
      {
        target: '#task.active.working',
        actions: assign({ history: ({ context, event }) => [...context.history, ...event.output.reviews] }),
      },
    ],
    onError: '#task.active.working',
  },
});

/** Reason, execute, observe, until the reasoner is done, escalates or fails; `help` asks HMMM. */
export const workingState = taskSetup.createStateConfig({
  entry: { type: 'progress', params: { state: 'working' } },
  initial: 'reasoning',
  states: {
    reasoning: {
      invoke: {
        src: 'reason',
        input: ({ context }) => ({
          task: facts(context),
          history: context.history,
          steps: context.steps,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.kind === 'command' || event.output.kind === 'help',
            target: 'deciding',
            actions: assign({ decision: ({ event }) => event.output }),
          },
          {
            guard: ({ event }) => event.output.kind === 'done',
            target: '#task.active.publishing',
            actions: assign({ summary: ({ event }) => decided(event.output, 'done') }),
          },
          {
            guard: ({ event }) => event.output.kind === 'escalate',
            target: '#task.active.escalating',
            actions: assign({ reason: ({ event }) => decided(event.output, 'escalate') }),
          },
          {
            target: '#task.active.failing',
            actions: assign({
              reason: ({ event }) => decided(event.output, 'fail') ?? 'unknown decision',
            }),
          },
        ],
        onError: failing,
      },
    },
    deciding: {
      always: [
        { guard: ({ context }) => context.decision?.kind === 'help', target: 'helping' },
        { target: 'executing' },
      ],
    },
    executing: {
      invoke: {
        src: 'execute',
        input: ({ context }) => ({
          command: context.decision?.kind === 'command' ? context.decision.command : 'false',
          step: context.steps + 1,
        }),
        onDone: {
          target: 'reasoning',
          actions: assign({
            history: ({ context, event }) => [...context.history, withModelContext(context, event.output)],
            steps: ({ context }) => context.steps + 1,
          }),
        },
        onError: failing,
      },
    },
    helping: {
      invoke: {
        src: 'askHelp',
        input: ({ context }) => ({ question: question(context), task: facts(context) }),
        onDone: [
          {
            guard: ({ event }) => event.output !== null,
            target: 'reasoning',
            actions: assign({
              history: ({ context, event }) =>
                event.output === null
                  ? context.history
                  : [...context.history, { kind: 'advice' as const, ...event.output }],
            }),
          },
          {
            target: '#task.active.escalating',
            actions: assign({ reason: ({ context }) => `no useful answer to: ${question(context)}` }),
          },
        ],
        onError: { target: '#task.active.escalating', actions: 'recordError' },
      },
    },
  },
});
