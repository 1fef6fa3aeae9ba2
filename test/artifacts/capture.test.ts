/**
 * Capturing a task's diff and result tree (issue 16) on their own: the diff leaves a real
 * bubblewrap sandbox byte for byte even when the sandbox cuts output at 4 KiB (it applies on a
 * fresh clone and gives the same files, binary ones included), and is cut, saying so, past its
 * limit; the tree walk never follows a link out of the clone, skips what is no regular file,
 * and stops at its limits with a note in the manifest.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { captureDiff } from '../../src/actors/task/artifacts/diff.js';
import { captureTree } from '../../src/actors/task/artifacts/tree.js';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import { git } from '../../src/adapters/forge/index.js';
import { createSandboxBackend } from '../../src/adapters/sandbox/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { treeManifestSchema } from '../../src/protocol/index.js';

const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

async function store(): Promise<ContentStore> {
  const made = createContentStore(
    { dataDir: await tempDir('bzzz-capture-cas-') },
    { logger: silentLogger(), clock: systemClock },
  );
  await made.start();
  stops.push(() => made.stop());
  return made;
}

/** A bare repository with one commit on main, cloned twice (the task's clone and a witness). */
async function repository(dir: string): Promise<{ clone: string; witness: string }> {
  const bare = join(dir, 'origin.git');
  const seed = join(dir, 'seed');
  await git(['init', '-q', '--bare', '-b', 'main', bare]);
  await git(['init', '-q', '-b', 'main', seed]);
  await writeFile(join(seed, 'README.md'), 'hello\n');
  await writeFile(join(seed, 'old.bin'), randomBytes(3000));
  await git(['add', '-A'], { cwd: seed });
  await git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'seed'], { cwd: seed });
  await git(['push', '-q', bare, 'main'], { cwd: seed });
  const clone = join(dir, 'clone');
  const witness = join(dir, 'witness');
  await git(['clone', '-q', bare, clone]);
  await git(['clone', '-q', bare, witness]);
  return { clone, witness };
}

describe('the diff of a task', () => {
  it(
    'leaves the sandbox whole in chunks under its output cap, and is cut past its limit',
    { timeout: 120_000 },
    async () => {
      const dir = await tempDir('bzzz-capture-diff-');
      const { clone, witness } = await repository(dir);
      const backend = createSandboxBackend(
        { backend: 'bwrap', nodeId: `capture-${process.pid}`, dataDir: join(dir, 'data') },
        { logger: silentLogger(), clock: systemClock },
      );
      await backend.start();
      stops.push(() => backend.stop());
      const sandbox = await backend.create({ workDir: clone, limits: { outputBytes: 4096 } });
      stops.push(() => sandbox.destroy());
      // committed, uncommitted, new, removed and binary changes, made inside the sandbox
      const work = [
        'printf "hello, world\\n" > README.md',
        'git -c user.name=a -c user.email=a@a commit -qam edit',
        'head -c 20000 /dev/urandom > new.bin',
        'printf "untracked\\n" > notes.txt',
        'rm old.bin',
      ].join(' && ');
      expect((await sandbox.exec({ command: ['sh', '-c', work] })).exitCode).toBe(0);
      const cas = await store();

      const diff = await captureDiff(sandbox, 'main', cas, { maxBytes: 16 * 1024 * 1024 });
      expect(diff.truncated).toBe(false);
      expect(diff.size).toBeGreaterThan(20_000); // far past the 4 KiB the sandbox lets out at once
      const patch = join(dir, 'task.diff');
      await writeFile(patch, await cas.get(diff.hash));
      await git(['apply', '--binary', patch], { cwd: witness });
      for (const file of ['README.md', 'new.bin', 'notes.txt'])
        expect((await readFile(join(witness, file))).equals(await readFile(join(clone, file))), file).toBe(
          true,
        );
      await expect(readFile(join(witness, 'old.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await cas.stat(diff.hash))?.pinned).toBe(true);

      const cut = await captureDiff(sandbox, 'main', cas, { maxBytes: 1000 });
      expect(cut.truncated).toBe(true);
      const text = Buffer.from(await cas.get(cut.hash)).toString();
      expect(text).toMatch(/# bzzz: diff cut at 1000 of \d+ bytes\n$/);
      expect(
        text.startsWith(
          Buffer.from(await cas.get(diff.hash))
            .subarray(0, 1000)
            .toString(),
        ),
      ).toBe(true);
    },
  );
});

describe('the result tree of a task', () => {
  it('lists regular files only, never follows a link, and stops at its limits with a note', async () => {
    const root = await tempDir('bzzz-capture-tree-');
    const secret = join(await tempDir('bzzz-capture-secret-'), 'secret.txt');
    await writeFile(secret, 'host secret\n');
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.git', 'config'), '[core]\n');
    await mkdir(join(root, 'src', 'deep'), { recursive: true });
    await writeFile(join(root, 'a.txt'), 'a\n');
    await writeFile(join(root, 'src', 'b.sh'), 'echo b\n', { mode: 0o755 });
    await writeFile(join(root, 'src', 'deep', 'c.txt'), 'c\n');
    await symlink(secret, join(root, 'leak.txt'));
    await symlink(join(secret, '..'), join(root, 'src', 'outside'));
    await promisify(execFile)('mkfifo', [join(root, 'pipe')]);
    const cas = await store();

    const tree = await captureTree(root, cas, { maxFiles: 100, maxBytes: 1 << 20, maxEntries: 1000 });
    expect(tree).toMatchObject({ files: 3, bytes: 11, capped: false });
    const manifest = treeManifestSchema.parse(JSON.parse(Buffer.from(await cas.get(tree.hash)).toString()));
    expect(Object.keys(manifest.files).sort()).toEqual(['a.txt', 'src/b.sh', 'src/deep/c.txt']);
    expect(manifest.files['src/b.sh']?.mode).toBe(0o755);
    expect(manifest.skipped).toEqual({
      'leak.txt': 'symbolic link (not followed)',
      pipe: 'not a regular file',
      'src/outside': 'symbolic link (not followed)',
    });
    const stored = await Promise.all(
      Object.values(manifest.files).map(async (f) => Buffer.from(await cas.get(f.hash)).toString()),
    );
    expect(stored.join('')).not.toContain('host secret');
    expect((await cas.stat(tree.hash))?.pinned).toBe(true);

    const capped = await captureTree(root, cas, { maxFiles: 2, maxBytes: 1 << 20, maxEntries: 1000 });
    expect(capped).toMatchObject({ files: 2, capped: true });
    const note = treeManifestSchema.parse(JSON.parse(Buffer.from(await cas.get(capped.hash)).toString()));
    expect(note.capped).toMatchObject({ maxFiles: 2, filesLeftOut: 1, bytesLeftOut: 2 });
    expect(note.capped?.note).toContain('not listed');
    const walkCut = await captureTree(root, cas, { maxFiles: 100, maxBytes: 1 << 20, maxEntries: 2 });
    expect(walkCut.capped).toBe(true);
  });
});
