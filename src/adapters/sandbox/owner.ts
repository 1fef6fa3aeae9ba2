/**
 * Which process made a sandbox: an `owner` file beside its work dir names the node and the pid.
 * A node's start-up sweep removes the sandbox directories of its own node whose process is gone
 * (the sandboxes themselves died with it: bwrap by `--die-with-parent`, docker by the dead
 * man's switch); a live process's sandboxes are never touched.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Records that sandbox `id` under `base` belongs to `nodeId`, made by this process. */
export async function writeOwner(base: string, id: string, nodeId: string): Promise<void> {
  await writeFile(join(base, id, 'owner'), JSON.stringify({ node: nodeId, pid: process.pid }));
}

/**
 * Ids of the sandbox directories under `base` that `nodeId` left behind: made by a process that
 * is gone, or by this one and not among `live`.
 */
export async function abandonedSandboxes(
  base: string,
  nodeId: string,
  live: ReadonlySet<string>,
): Promise<string[]> {
  const found: string[] = [];
  for (const id of await readdir(base).catch(() => [])) {
    if (live.has(id) || !/^bzzz-[0-9a-z]+$/.test(id)) continue;
    const owner = await readFile(join(base, id, 'owner'), 'utf8')
      .then((t) => JSON.parse(t) as { node?: string; pid?: number })
      .catch(() => undefined);
    if (owner?.node !== nodeId || (owner.pid !== process.pid && alive(owner.pid))) continue;
    found.push(id);
  }
  return found;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
