/**
 * The scripted reasoner (SPEC §10): the steps are written in the task body, in a fenced
 * ```bzzz-steps block, one shell command a line (blank lines and `#` comments skipped). It
 * proposes them in order, then `done`. Deterministic: the next step depends only on how many
 * commands the history holds. A step that exited non-zero fails the task: the next call
 * throws {@link ScriptedStepFailedError} (non-retryable), which the task machine turns into
 * `failed`. A task without steps throws {@link ScriptMissingError}.
 *
 * Its plan is its steps, one a line. It reviews no plan (a node runs an advisor only with a
 * model), and it reconciles suggestions only when they all say the same thing.
 */
import {
  ReasonerAbortedError,
  ReviewUnsupportedError,
  ScriptedStepFailedError,
  ScriptMissingError,
} from './errors.js';
import type {
  NextStepInput,
  PlanInput,
  Reasoner,
  ReasonerStep,
  ReconcileInput,
  ReviewResult,
} from './types.js';

const BLOCK = /^[ \t]*(`{3,}|~{3,})[ \t]*bzzz-steps[ \t]*\r?\n([\s\S]*?)^[ \t]*\1[ \t]*$/m;

/** The commands of the first `bzzz-steps` block of `body`, or null when there is none. */
export function parseScriptedSteps(body: string): string[] | null {
  const match = BLOCK.exec(body);
  if (match === null) return null;
  return (match[2] ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

export class ScriptedReasoner implements Reasoner {
  readonly backend = 'scripted';
  readonly model = 'scripted';

  next(input: NextStepInput): Promise<ReasonerStep> {
    if (input.signal?.aborted === true) {
      return Promise.reject(new ReasonerAbortedError({ cause: input.signal.reason }));
    }
    const steps = parseScriptedSteps(input.task.body);
    if (steps === null || steps.length === 0) return Promise.reject(new ScriptMissingError(input.task.key));
    const ran = input.history.filter((entry) => entry.kind === 'command');
    const last = ran.at(-1);
    if (last !== undefined && last.exitCode !== 0) {
      return Promise.reject(new ScriptedStepFailedError(ran.length, last.command, last.exitCode));
    }
    const usage = { inputTokens: 0, outputTokens: 0 };
    const command = steps[ran.length];
    if (command !== undefined)
      return Promise.resolve({ decision: { kind: 'command', command }, usage, model: 'scripted' });
    const summary = `Ran ${steps.length} scripted step${steps.length === 1 ? '' : 's'}:\n${steps.map((s) => `- \`${s}\``).join('\n')}`;
    return Promise.resolve({ decision: { kind: 'done', summary }, usage, model: 'scripted' });
  }

  plan(input: PlanInput): Promise<string> {
    const steps = parseScriptedSteps(input.task.body);
    if (steps === null || steps.length === 0) return Promise.reject(new ScriptMissingError(input.task.key));
    return Promise.resolve(steps.join('\n'));
  }

  review(): Promise<ReviewResult> {
    return Promise.reject(new ReviewUnsupportedError(this.backend));
  }

  reconcile(input: ReconcileInput): Promise<string | null> {
    const texts = new Set(input.suggestions.map((s) => s.text.trim()));
    return Promise.resolve(texts.size === 1 ? ([...texts][0] as string) : null);
  }
}
