/**
 * A task's diff against its base, captured INSIDE the task's sandbox: the clone's git config is
 * the task's to write, so git never runs on the host over it. One command writes the diff to a
 * file in the clone's git dir (committed and uncommitted changes, new files included: `git add
 * -A -N` marks them, `git diff --binary <merge base>` compares the work tree with the base),
 * then the file leaves the sandbox in base64 chunks small enough for the sandbox's output cap
 * (a chunk that comes back cut is asked again, smaller), and is stored in the content store,
 * pinned. A diff longer than `maxBytes` is cut there and says so in its last line.
 */
import type { ContentStore } from '../../../adapters/cas/index.js';
import type { Sandbox } from '../../../adapters/sandbox/index.js';
import type { DiffArtifact } from '../../../protocol/index.js';

/** Writes the diff and prints `<file> <size>`. Hooks, external diff tools and textconv stay off. */
const WRITE_DIFF = [
  'set -e',
  'f="$(git rev-parse --absolute-git-dir)/bzzz-task.diff"',
  'base=$(git merge-base "origin/$BZZZ_BASE" HEAD 2>/dev/null || git hash-object -t tree /dev/null)',
  'git -c core.hooksPath=/dev/null -c core.fsmonitor=false add -A -N >/dev/null 2>&1 || true',
  'git -c core.fsmonitor=false -c core.quotePath=false diff --binary --no-color --no-ext-diff --no-textconv "$base" > "$f"',
  'printf "%s %s\\n" "$f" "$(wc -c < "$f" | tr -d " ")"',
].join('\n');

/** Prints bytes [$BZZZ_FROM, $BZZZ_FROM + $BZZZ_COUNT) of $BZZZ_FILE in base64. */
const READ_CHUNK = 'tail -c +"$((BZZZ_FROM + 1))" "$BZZZ_FILE" | head -c "$BZZZ_COUNT" | base64';

/** The first chunk asked for; halved while the sandbox cuts its output. */
const FIRST_CHUNK = 512 * 1024;
const SMALLEST_CHUNK = 1024;

export interface DiffLimits {
  /** Bytes of diff kept (default 16 MiB). */
  maxBytes: number;
}

/** Thrown when the diff cannot be made or read out of the sandbox. */
export class DiffCaptureError extends Error {
  override readonly name = 'DiffCaptureError';
}

/** Captures the diff of the sandbox's clone against `origin/<base>` and stores it, pinned. */
export async function captureDiff(
  sandbox: Sandbox,
  base: string,
  store: ContentStore,
  limits: DiffLimits,
): Promise<DiffArtifact> {
  const written = await sandbox.exec({ command: ['sh', '-c', WRITE_DIFF], env: { BZZZ_BASE: base } });
  const line = /^(\/\S+) (\d+)$/m.exec(written.stdout);
  if (written.exitCode !== 0 || line === null) {
    throw new DiffCaptureError(`git diff failed (exit ${written.exitCode}): ${written.stderr.slice(-300)}`);
  }
  const [, file, total] = line as unknown as [string, string, string];
  const size = Number(total);
  const kept = Math.min(size, limits.maxBytes);
  const chunks: Buffer[] = [];
  let from = 0;
  let chunk = FIRST_CHUNK;
  while (from < kept) {
    const count = Math.min(chunk, kept - from);
    const read = await sandbox.exec({
      command: ['sh', '-c', READ_CHUNK],
      env: { BZZZ_FILE: file, BZZZ_FROM: String(from), BZZZ_COUNT: String(count) },
    });
    if (read.exitCode !== 0) throw new DiffCaptureError(`reading the diff failed (exit ${read.exitCode})`);
    if (read.stdoutTruncated) {
      if (chunk <= SMALLEST_CHUNK) throw new DiffCaptureError('the sandbox cuts even the smallest chunk');
      chunk = Math.floor(chunk / 2);
      continue;
    }
    const bytes = Buffer.from(read.stdout, 'base64');
    if (bytes.length !== count) throw new DiffCaptureError(`a chunk of ${bytes.length} bytes, not ${count}`);
    chunks.push(bytes);
    from += count;
  }
  await sandbox.exec({ command: ['rm', '-f', file] }).catch(() => undefined);
  const truncated = size > kept;
  if (truncated) chunks.push(Buffer.from(`\n# bzzz: diff cut at ${kept} of ${size} bytes\n`, 'utf8'));
  const body = Buffer.concat(chunks);
  const { hash } = await store.put(body, { pin: true });
  return { hash, size: body.length, truncated };
}
