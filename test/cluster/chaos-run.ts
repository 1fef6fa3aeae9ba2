/**
 * One run of the pipeline chaos test: three `bzzz agent` processes on one nats-server share a
 * local forge with scripted tasks while a nemesis works through a plan of faults, one at a
 * time: pauses of 1.5×TTL (one "targeted" at the moment an agent has just checked its lease
 * for a push, the textbook window of check-then-act), kill -9 and a nats-server restart. The
 * run ends when every task is done (or, when `stopOnStale`, as soon as the forge's effect log
 * shows a stale effect) and returns what the forge itself recorded, for the checker.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { git } from '../../src/adapters/forge/git.js';
import { LocalForge, type TaskRecord } from '../../src/adapters/forge/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import type { NatsServerHandle } from '../helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess } from './agents.js';
import { staleEffects, type TaskEvidence } from './effect-checker.js';
import { killAgent, pauseAgent, restartNats, sleep, type PauseSpan } from './nemesis.js';

export type Fault = 'targeted-pause' | 'pause' | 'kill' | 'nats-restart';

export interface ChaosRunOptions {
  nats: NatsServerHandle;
  tasks: number;
  ttlMs: number;
  /** The faults, in order; the nemesis waits `gapMs` after each. */
  plan: Fault[];
  /** Keep repeating targeted pauses once the plan is done. */
  repeatTargeted: boolean;
  checkTokens: boolean;
  stopOnStale: boolean;
  deadlineMs: number;
  /** The agents' sandbox backend (docker by default). */
  sandbox?: 'docker' | 'bwrap';
}

export interface ChaosRunResult {
  evidence: TaskEvidence[];
  faults: Record<Fault, number>;
  /** Stale effects the forge refused (it logs each, in the process that sent it). */
  refused: number;
  /** The tasks whose push a targeted pause caught between check and act. */
  targeted: string[];
  pauses: PauseSpan[];
  agents: AgentProcess[];
}

export const REPO = 'chaos/repo';

/**
 * A task's scripted steps: most take 2–3 s; every tenth takes 25 s, so the run outlasts the
 * nemesis's plan however fast the machine is (with room for every task at once, the short
 * ones would all be done before the plan's later faults; the plan's third fault, the server
 * restart, comes about 17 s after the start on an idle machine). Only two are long: a kill that
 * hits a long task costs the run its whole length again.
 */
function stepsOf(i: number): string {
  const seconds = i % 10 === 0 ? '25' : `2.$((${i} % 7 + 2))`;
  return `\`\`\`bzzz-steps\necho ${i} > c${i}.txt\nsleep ${seconds}\necho done >> c${i}.txt\n\`\`\`\n`;
}

export async function evidenceOf(forge: LocalForge): Promise<TaskEvidence[]> {
  const bare = join(forge.dir, 'chaos', 'repo.git');
  const refs = await git(['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads'], {
    cwd: bare,
  });
  const heads = new Map(
    refs
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  const records: TaskRecord[] = await forge.taskRecords(REPO);
  return records.map((record) => ({ record, head: heads.get(record.branch ?? '') ?? null }));
}

/**
 * The sandbox containers the given agents' nodes left on the engine, each with its state and
 * labels (what a failure shows). Other tests' containers on the same engine are not counted.
 */
export function containers(agents: readonly AgentProcess[]): string[] {
  const nodes = new Set(agents.map((a) => a.nodeId()).filter((id) => id !== undefined));
  return execFileSync(
    'docker',
    [
      'ps',
      '-a',
      '--filter',
      'label=bzzz.node',
      '--format',
      '{{.Label "bzzz.node"}} {{.ID}} {{.State}} {{.Status}}',
    ],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((line) => nodes.has(line.split(' ')[0]!));
}

/**
 * The bwrap sandbox processes the given agents left (their command lines name the agent's data
 * dir, where each sandbox's directory lives), as `pid command` lines.
 */
export function sandboxProcesses(agents: readonly AgentProcess[]): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /\bbwrap\b/.test(line) && agents.some((a) => line.includes(a.dataDir)));
}

export async function chaosRun(options: ChaosRunOptions): Promise<ChaosRunResult> {
  const dir = clusterDir('bzzz-chaos-');
  const forgeDir = join(dir, 'forge');
  const forge = new LocalForge({ dir: forgeDir }, { logger: silentLogger(), clock: systemClock });
  for (let i = 1; i <= options.tasks; i++)
    await forge.addTask({ title: `Chaos ${i}`, repo: REPO, body: stepsOf(i) });
  const env: Record<string, string> = {
    BZZZ_NATS_URL: options.nats.url,
    BZZZ_FORGE_DIR: forgeDir,
    BZZZ_SANDBOX: options.sandbox ?? 'docker',
    BZZZ_LEASE_TTL_MS: String(options.ttlMs),
    BZZZ_POLL_INTERVAL_MS: '300',
    // room for every task at once: a paused agent's tasks are taken over as soon as they expire
    BZZZ_MAX_TASKS: '8',
    // the way to the forge takes a while, as it would to a remote one: the window a pause hits
    BZZZ_TEST_FORGE_LATENCY_MS: '150',
    // a run stopped in the middle of its tasks (the unfenced one) drains sandboxes on a loaded
    // machine: room for that, five times the default, before a stop counts as forced
    BZZZ_SHUTDOWN_TIMEOUT_MS: '150000',
    ...(options.checkTokens ? {} : { BZZZ_TEST_FORGE_CHECK_TOKENS: 'false' }),
  };
  const agents = ['c1', 'c2', 'c3'].map((name) => startAgent(name, dir, env));
  const faults: Record<Fault, number> = { 'targeted-pause': 0, pause: 0, kill: 0, 'nats-restart': 0 };
  const pauses: PauseSpan[] = [];
  const pause = async (fault: Fault, victim: AgentProcess | undefined) => {
    const span = victim === undefined ? undefined : await pauseAgent(victim, pauseMs);
    if (span === undefined) return;
    faults[fault]++;
    pauses.push(span);
  };
  const pauseMs = Math.round(1.5 * options.ttlMs);

  // a push's lease check was just logged by this agent: the window of check-then-act is open
  let armed: ((agent: AgentProcess) => void) | undefined;
  const targeted: string[] = [];
  for (const agent of agents) {
    agent.onLine((line) => {
      if (line.msg !== 'push fenced' || armed === undefined) return;
      targeted.push(String(line.task));
      armed(agent);
    });
  }
  const nextPush = () =>
    new Promise<AgentProcess>((resolve) => {
      armed = (agent) => {
        armed = undefined;
        resolve(agent);
      };
    });
  const random = () => {
    const live = agents.filter((a) => a.running());
    return live[Math.floor(Math.random() * live.length)];
  };

  let finished = false;
  const inject = async (fault: Fault): Promise<void> => {
    if (fault === 'targeted-pause') {
      await pause(fault, await Promise.race([nextPush(), until(() => finished)]));
    } else if (fault === 'pause') {
      await pause(fault, random());
    } else if (fault === 'kill') {
      const victim = random();
      if (victim !== undefined && (await killAgent(victim, 500 + Math.random() * 1_000))) faults[fault]++;
    } else {
      await restartNats(options.nats, 500 + Math.random() * 700);
      faults[fault]++;
    }
  };
  const nemesis = (async () => {
    await sleep(2_000);
    for (let i = 0; !finished; i++) {
      const fault = options.plan[i] ?? (options.repeatTargeted ? 'targeted-pause' : undefined);
      if (fault === undefined) return;
      await inject(fault);
      await sleep(1_000 + Math.random() * 1_000);
    }
  })();
  nemesis.catch(() => undefined); // awaited below; this only keeps an early failure handled

  try {
    const deadline = Date.now() + options.deadlineMs;
    for (;;) {
      const evidence = await evidenceOf(forge);
      const done = evidence.length === options.tasks && evidence.every((e) => e.record.state === 'done');
      const stale = evidence.some((e) => staleEffects(e.record.key, e.record.effects ?? []).length > 0);
      if (done || (options.stopOnStale && stale)) break;
      if (Date.now() > deadline) {
        const open = evidence
          .filter((e) => e.record.state !== 'done')
          .map((e) => `${e.record.key}:${e.record.state}`);
        // what the agents last complained of says why; then they go, so no later run shares them
        const complaints = agents.map((a) => `${a.name}: ${lastWarnings(a)}`).join('; ');
        await Promise.all(agents.map((a) => a.kill()));
        throw new Error(
          `not done after ${options.deadlineMs} ms (faults ${JSON.stringify(faults)}): ${open.join(', ')}; agents' last warnings: ${complaints}`,
        );
      }
      await sleep(200);
    }
  } finally {
    finished = true;
    await nemesis;
  }
  const refused = agents.flatMap((a) => a.logs()).filter((l) => l.msg === 'stale effect refused').length;
  return { evidence: await evidenceOf(forge), faults, refused, targeted, pauses, agents };
}

/** The last three warnings or errors an agent logged, for a failure's message. */
function lastWarnings(agent: AgentProcess): string {
  const lines = agent.logs().filter((l) => typeof l.level === 'number' && l.level >= 40);
  const shown = lines
    .slice(-3)
    .map((l) => `${String(l.msg)}${l.err === undefined ? '' : ` (${JSON.stringify(l.err).slice(0, 200)})`}`);
  return shown.length === 0 ? 'none' : shown.join(' | ');
}

/** Resolves (with undefined) once `done()` holds, checking every 100 ms. */
async function until(done: () => boolean): Promise<undefined> {
  while (!done()) await sleep(100);
  return undefined;
}
