/**
 * The end of a task, recorded (issue 16): after the task's cleanup (the workspace, captured
 * right before it went, and the lease), the recorder stores the transcript and publishes the
 * task's names. Part of the machine's cleanup effect, so a task actor ends only once its record
 * is written: a node stopping (`bzzz up --once`) keeps its content store until then. Only a
 * task this agent held is recorded (an actor that never won the lease has nothing to tell), and
 * the recorder bounds its time and never throws.
 */
import type { ReleasedOutcome } from '../../../machines/task-effects.js';
import type { TranscriptOutcome } from '../../../protocol/index.js';
import type { TaskEnv } from './env.js';

/** What the machine's cleanup is given: `outcome` from a releasing state, none when stopping or lost. */
export interface CleanupInput {
  release: boolean;
  reason: string;
  outcome?: ReleasedOutcome;
}

/** Records the task's end, when it held the task and the node records tasks. */
export async function recordEnd({ key, deps, resources }: TaskEnv, input: CleanupInput): Promise<void> {
  const recorder = deps.recorder;
  const context = resources.context?.();
  if (recorder === undefined || context === undefined || context.token === null) return;
  // a lease given back at once (the task was finished meanwhile): nothing was done to tell
  if (input.outcome === 'skipped') return;
  // a stop that came after the forge was told `done` (as `--once` does) does not undo it
  const outcome: TranscriptOutcome =
    input.outcome ?? resources.reported ?? (input.release ? 'stopped' : 'lost');
  await resources.recording(
    recorder.record({
      key,
      agent: deps.agent,
      outcome,
      context,
      startedAt: resources.startedAt,
      artifacts: resources.artifacts,
    }),
  );
}
