/**
 * The sandbox port's compliance suite: what any backend must do for a task, run unchanged
 * against docker and bwrap. Hostile commands are in test/sandbox/hostile.ts.
 */
import { access, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidSandboxSpecError,
  REDACTED,
  SandboxDestroyedError,
  SandboxPathError,
  type Sandbox,
  type SandboxBackend,
} from '../../src/adapters/sandbox/index.js';

const sh = (line: string): string[] => ['sh', '-c', line];

export function sandboxComplianceSuite(name: string, factory: () => Promise<SandboxBackend>): void {
  describe(`sandbox compliance: ${name}`, () => {
    let backend: SandboxBackend;
    let sandbox: Sandbox;
    let host: string;

    beforeAll(async () => {
      backend = await factory();
      await backend.start();
      sandbox = await backend.create({
        env: { GREETING: 'hello' },
        secrets: ['sk-live-0123456789'],
        task: 'local:demo/app#1',
      });
      host = await mkdtemp(join(tmpdir(), 'bzzz-compliance-'));
    });

    afterAll(async () => {
      await sandbox.destroy();
      await backend.stop();
      await rm(host, { recursive: true, force: true });
    });

    it('runs a command and returns its exit code, stdout, stderr and duration', async () => {
      const r = await sandbox.exec({ command: sh('echo out; echo err >&2; exit 7') });
      expect(r).toMatchObject({
        exitCode: 7,
        stdout: 'out\n',
        stderr: 'err\n',
        timedOut: false,
        outOfMemory: false,
      });
      expect(r.durationMs).toBeGreaterThan(0);
    });

    it('feeds stdin and passes the env', async () => {
      const r = await sandbox.exec({
        command: sh('cat; echo "$GREETING $EXTRA"'),
        stdin: 'from stdin\n',
        env: { EXTRA: 'world' },
      });
      expect(r.stdout).toBe('from stdin\nhello world\n');
    });

    it('runs as a non-root user in a writable /work with a read-only root and a writable /tmp', async () => {
      const r = await sandbox.exec({
        command: sh(
          'id -u; pwd; touch /work/a && echo work-ok; touch /tmp/b && echo tmp-ok; touch /usr/x 2>/dev/null || echo root-ro',
        ),
      });
      const [uid, cwd, ...rest] = r.stdout.trim().split('\n');
      expect(Number(uid)).not.toBe(0);
      expect(cwd).toBe('/work');
      expect(rest).toEqual(['work-ok', 'tmp-ok', 'root-ro']);
    });

    it('keeps the work dir and /tmp between commands', async () => {
      await sandbox.exec({ command: sh('echo kept > /work/keep; echo t > /tmp/keep') });
      const r = await sandbox.exec({ command: sh('cat /work/keep /tmp/keep') });
      expect(r.stdout).toBe('kept\nt\n');
    });

    it('lets a command run on while other commands of the sandbox start and end', async () => {
      const long = sandbox.exec({
        command: sh('echo started > /work/long; sleep 2; echo survived > /work/long'),
      });
      // short commands end while the long one runs: their cleanup must leave it alone
      const deadline = Date.now() + 60_000;
      let shorts = 0;
      for (;;) {
        const r = await sandbox.exec({ command: sh('cat /work/long 2>/dev/null; true') });
        shorts++;
        if (r.stdout.includes('started') && shorts >= 3) break;
        if (Date.now() > deadline) throw new Error(`the long command never started (${r.stdout})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const r = await long;
      expect(r.exitCode).toBe(0);
      expect((await sandbox.exec({ command: sh('cat /work/long') })).stdout).toBe('survived\n');
    });

    it('has git, make and a C compiler', async () => {
      const r = await sandbox.exec({
        command: sh(
          'git --version && make --version >/dev/null && command -v cc >/dev/null && echo tools-ok',
        ),
      });
      expect(r.stdout).toContain('tools-ok');
    });

    it('redacts secrets of the sandbox and of the command from output', async () => {
      const r = await sandbox.exec({
        command: sh('echo token=sk-live-0123456789; echo pw=hunter2-pass >&2'),
        secrets: ['hunter2-pass'],
      });
      expect(r.stdout).toBe(`token=${REDACTED}\n`);
      expect(r.stderr).toBe(`pw=${REDACTED}\n`);
    });

    it('caps output with a truncation marker', async () => {
      const small = await backend.create({ limits: { outputBytes: 100 } });
      try {
        const r = await small.exec({ command: sh('head -c 5000 /dev/zero | tr "\\0" a; echo short >&2') });
        expect(r.stdoutTruncated).toBe(true);
        expect(r.stdout.startsWith('a'.repeat(100))).toBe(true);
        expect(r.stdout).toContain('output truncated, 4900 bytes dropped');
        expect(r.stderr).toBe('short\n');
        expect(r.stderrTruncated).toBe(false);
      } finally {
        await small.destroy();
      }
    });

    it('copies a tree in and out; symlinks stay links', async () => {
      const src = join(host, 'src');
      await mkdir(join(src, 'sub'), { recursive: true });
      await writeFile(join(src, 'sub', 'file.txt'), 'payload\n');
      await sandbox.copyIn(src, 'repo');
      const r = await sandbox.exec({
        command: sh(
          'cat repo/sub/file.txt && echo more >> repo/sub/file.txt && ln -s /etc/hostname repo/link',
        ),
      });
      expect(r.stdout).toBe('payload\n');
      const out = join(host, 'out');
      await sandbox.copyOut('/work/repo', out);
      expect(await readFile(join(out, 'sub', 'file.txt'), 'utf8')).toBe('payload\nmore\n');
      expect(await readlink(join(out, 'link'))).toBe('/etc/hostname');
    });

    it('refuses copy paths that leave the work dir', async () => {
      await expect(sandbox.copyOut('../../etc', join(host, 'x'))).rejects.toBeInstanceOf(SandboxPathError);
      await expect(sandbox.copyOut('/etc/passwd', join(host, 'x'))).rejects.toBeInstanceOf(SandboxPathError);
      await sandbox.exec({ command: sh('ln -s / /work/escape') });
      await expect(sandbox.copyOut('escape/etc/passwd', join(host, 'y'))).rejects.toBeInstanceOf(
        SandboxPathError,
      );
      await expect(sandbox.copyIn(host, 'escape/tmp')).rejects.toBeInstanceOf(SandboxPathError);
    });

    it('rejects bad input with a named error', async () => {
      await expect(backend.create({ limits: { memoryBytes: -1 } })).rejects.toBeInstanceOf(
        InvalidSandboxSpecError,
      );
      await expect(backend.create({ env: { 'BAD NAME': 'x' } })).rejects.toBeInstanceOf(
        InvalidSandboxSpecError,
      );
      await expect(backend.create({ network: { mode: 'git', remote: 'no-port' } })).rejects.toBeInstanceOf(
        InvalidSandboxSpecError,
      );
      await expect(sandbox.exec({ command: [] })).rejects.toBeInstanceOf(InvalidSandboxSpecError);
    });

    it('reset kills processes and empties the work dir and /tmp', async () => {
      const s = await backend.create();
      try {
        await s.exec({ command: sh('echo x > /work/dirty; echo y > /tmp/dirty') });
        await s.reset();
        const r = await s.exec({ command: sh('ls -A /work /tmp | grep -c dirty || true') });
        expect(r.stdout.trim()).toBe('0');
      } finally {
        await s.destroy();
      }
    });

    it('destroy is idempotent, removes the work dir and refuses later use', async () => {
      const s = await backend.create();
      const dir = s.workDir;
      await Promise.all([s.destroy(), s.destroy()]);
      await s.destroy();
      expect(s.destroyed).toBe(true);
      await expect(access(dir)).rejects.toThrow();
      await expect(s.exec({ command: ['true'] })).rejects.toBeInstanceOf(SandboxDestroyedError);
    });

    it('with network git, reaches only the git remote', async () => {
      const { server, port } = await banner('git-remote-banner');
      const other = await banner('other-service');
      const s = await backend.create({ network: { mode: 'git', remote: `127.0.0.1:${port}` } });
      try {
        const ok = await s.exec({ command: sh('socat -T 5 - TCP:$BZZZ_GIT_REMOTE </dev/null') });
        expect(ok.stdout).toContain('git-remote-banner');
        const blocked = await s.exec({ command: sh(`socat -T 2 - TCP:127.0.0.1:${other.port} </dev/null`) });
        expect(blocked.stdout).not.toContain('other-service');
        expect(blocked.exitCode).not.toBe(0);
      } finally {
        await s.destroy();
        server.close();
        other.server.close();
      }
    });

    it('a destroyed sandbox refuses work and the next one sees nothing it left', async () => {
      const first = await backend.create({ secrets: ['lease-secret-1'] });
      try {
        const r = await first.exec({
          command: sh('echo lease-secret-1; echo dirty > /work/mark; echo d > /tmp/mark'),
        });
        expect(r.stdout).toBe(`${REDACTED}\n`);
      } finally {
        await first.destroy();
      }
      await expect(first.exec({ command: ['true'] })).rejects.toBeInstanceOf(SandboxDestroyedError);
      const second = await backend.create();
      try {
        const seen = await second.exec({ command: sh('cat /work/mark /tmp/mark 2>/dev/null; echo end') });
        expect(seen.stdout).toBe('end\n');
      } finally {
        await second.destroy();
      }
    });
  });
}

async function banner(text: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end(`${text}\n`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}
