/** Every pure machine of bzzz, by name (exported by `bzzz machines`). */
import type { AnyStateMachine } from 'xstate';
import { agentMachine } from './agent.js';
import { electionMachine } from './election.js';
import { leaseMachine } from './lease.js';
import { peerMachine } from './peer.js';
import { pollerMachine } from './poller.js';
import { serviceMachine } from './service.js';
import { taskMachine } from './task.js';

export {
  agentMachine,
  electionMachine,
  leaseMachine,
  peerMachine,
  pollerMachine,
  serviceMachine,
  taskMachine,
};
export { capabilitiesMatch, type AgentEvent, type AgentInput } from './agent.js';
export type { PollerInput } from './poller.js';
export type {
  StepDecision,
  TaskContext,
  TaskEvent,
  TaskHistoryEntry,
  TaskInput,
  TaskOutput,
  TaskState,
} from './task.js';
export type { ServiceEvent, ServiceFailure, ServiceInput } from './service.js';

export const machines: Readonly<Record<string, AnyStateMachine>> = {
  agent: agentMachine,
  election: electionMachine,
  lease: leaseMachine,
  peer: peerMachine,
  poller: pollerMachine,
  service: serviceMachine,
  task: taskMachine,
};
