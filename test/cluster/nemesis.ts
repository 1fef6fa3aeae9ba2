/**
 * The faults of the pipeline chaos test (issue 13): pausing an agent's whole process group
 * with SIGSTOP (its git processes included) and its docker sandboxes with `docker pause`, then
 * resuming both; killing an agent with SIGKILL and starting it again later; restarting the
 * nats-server. A pause is what a long GC, a VM migration or a closed laptop lid does to a
 * lease holder: it wakes up believing what it checked before it slept.
 */
import Docker from 'dockerode';
import { LABEL_NODE } from '../../src/adapters/sandbox/docker.js';
import type { NatsServerHandle } from '../helpers/nats-server.js';
import type { AgentProcess } from './agents.js';

const docker = new Docker();
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The running sandbox containers of one node. */
async function containersOf(nodeId: string): Promise<string[]> {
  const found = await docker.listContainers({ filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
  return found.map((c) => c.Id);
}

/** Pauses or unpauses containers that may be gone meanwhile: what is left is done. */
async function dockerEach(verb: 'pause' | 'unpause', ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      (verb === 'pause' ? docker.getContainer(id).pause() : docker.getContainer(id).unpause()).catch(
        () => undefined,
      ),
    ),
  );
}

function signalGroup(agent: AgentProcess, signal: NodeJS.Signals): boolean {
  const pid = agent.pid();
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

/** When a pause began and ended (ms since the epoch), for the run's report. */
export interface PauseSpan {
  agent: string;
  from: number;
  to: number;
}

/**
 * Stops the agent's process group and its containers for `ms` (counted from the SIGSTOP),
 * then resumes them. The agent is stopped first, so nothing it does lands while its
 * sandboxes are being frozen, and resumed last, so it never finds one of them still frozen.
 */
export async function pauseAgent(agent: AgentProcess, ms: number): Promise<PauseSpan | undefined> {
  if (!agent.running() || !signalGroup(agent, 'SIGSTOP')) return undefined;
  const from = Date.now();
  let frozen: string[] = [];
  try {
    const node = agent.nodeId();
    frozen = node === undefined ? [] : await containersOf(node).catch(() => []);
    await dockerEach('pause', frozen);
    await sleep(from + ms - Date.now());
  } finally {
    await dockerEach('unpause', frozen);
    signalGroup(agent, 'SIGCONT');
  }
  return { agent: agent.name, from, to: Date.now() };
}

/** Kills the agent with SIGKILL and starts it again after `downMs`. */
export async function killAgent(agent: AgentProcess, downMs: number): Promise<boolean> {
  if (!agent.running()) return false;
  await agent.kill();
  await sleep(downMs);
  agent.restart();
  return true;
}

/** Kills the nats-server and starts it again on the same port and store after `downMs`. */
export async function restartNats(nats: NatsServerHandle, downMs: number): Promise<void> {
  await nats.kill();
  await sleep(downMs);
  await nats.restart();
}
