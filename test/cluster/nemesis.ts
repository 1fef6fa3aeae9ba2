/**
 * The faults of the pipeline chaos test (issue 13): pausing an agent's whole process group
 * with SIGSTOP (its git processes included) and freezing its docker sandboxes' cgroups (as
 * `docker pause` does), then
 * resuming both; killing an agent with SIGKILL and starting it again later; restarting the
 * nats-server. A pause is what a long GC, a VM migration or a closed laptop lid does to a
 * lease holder: it wakes up believing what it checked before it slept.
 */
import { readFile, writeFile } from 'node:fs/promises';
import Docker from 'dockerode';
import { LABEL_NODE } from '../../src/adapters/sandbox/docker.js';
import type { NatsServerHandle } from '../helpers/nats-server.js';
import type { AgentProcess } from './agents.js';

const docker = new Docker();
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The freezer cgroups of one node's running sandbox containers (what `docker pause` writes to,
 * found without the daemon: pausing through the daemon can block behind a stopped client).
 */
async function freezersOf(nodeId: string): Promise<string[]> {
  const found = await docker.listContainers({ filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
  const out: string[] = [];
  for (const c of found) {
    const pid = (await docker.getContainer(c.Id).inspect()).State.Pid;
    const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')).split('\n');
    const v1 = lines.find((l) => /^\d+:freezer:/.test(l));
    if (v1 !== undefined) out.push(`/sys/fs/cgroup/freezer${v1.split(':')[2]}/freezer.state`);
    else {
      const v2 = lines.find((l) => l.startsWith('0::'));
      if (v2 !== undefined) out.push(`/sys/fs/cgroup${v2.slice(3)}/cgroup.freeze`);
    }
  }
  return out;
}

/** Freezes or thaws cgroups that may be gone meanwhile (a container removed): what is left is done. */
async function freeze(files: string[], frozen: boolean): Promise<void> {
  await Promise.all(
    files.map((file) =>
      writeFile(
        file,
        file.endsWith('freezer.state') ? (frozen ? 'FROZEN' : 'THAWED') : frozen ? '1' : '0',
      ).catch(() => undefined),
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
 * Stops the agent's process group and freezes its containers for `ms` (from the SIGSTOP),
 * then resumes them. The agent is stopped first, so nothing it does lands while its
 * sandboxes are being frozen, and resumed last, so it never finds one of them still frozen.
 */
export async function pauseAgent(agent: AgentProcess, ms: number): Promise<PauseSpan | undefined> {
  if (!agent.running()) return undefined;
  const node = agent.nodeId();
  const frozen = node === undefined ? [] : await freezersOf(node).catch(() => []);
  if (!signalGroup(agent, 'SIGSTOP')) return undefined;
  const from = Date.now();
  try {
    await freeze(frozen, true);
    // a timer may fire a millisecond before Date.now() says it is due: sleep until it says so
    while (Date.now() < from + ms) await sleep(from + ms - Date.now());
  } finally {
    await freeze(frozen, false);
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
