/**
 * Hostile commands, proved contained on every backend: a fork bomb, a memory hog, endless
 * output, a sleep past the wall-time limit, reading host files, reaching the network,
 * escalating to root, finding the Docker socket, and a holder killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxBackend, SandboxBackendName } from '../../src/adapters/sandbox/index.js';
import { backendFor, newDataDir } from './support.js';

const sh = (line: string): string[] => ['sh', '-c', line];

/**
 * `leftovers(nodeId, workDir)` counts what still runs for a node after its holder died: for
 * docker its containers, for bwrap its processes. None on either: bwrap's die with their parent,
 * docker's with the dead man's switch (orphan.test.ts).
 */
export function hostileSuite(
  name: SandboxBackendName,
  leftovers: (nodeId: string, workDir: string) => Promise<number>,
  runningAfterKill: number,
): void {
  describe(`hostile commands: ${name}`, () => {
    let dataDir: string;
    let backend: SandboxBackend;
    let sandbox: Sandbox;
    const nodeId = `hostile-${name}-${process.pid}`;

    beforeAll(async () => {
      dataDir = await newDataDir();
      backend = backendFor(name, nodeId, dataDir);
      await backend.start();
      // Every command here ends within a few seconds (the fork bomb sleeps 2 s): a 20 s wall-time
      // limit, 5x the 4 s it had, holds on a loaded 2-core machine.
      sandbox = await backend.create({
        limits: { memoryBytes: 96 * 1024 * 1024, pids: 64, wallTimeMs: 20_000, outputBytes: 4096 },
      });
    });

    afterAll(async () => {
      await sandbox.destroy();
      await backend.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('stops a fork bomb at the pids limit and stays usable', async () => {
      const r = await sandbox.exec({ command: sh('bomb() { bomb | bomb & }; bomb; sleep 2; echo after') });
      // Without a pids limit the bomb would grow until the wall-time limit; with one, forks fail.
      expect(r.stderr).toContain('Cannot fork');
      expect(r.timedOut).toBe(false);
      expect((await sandbox.exec({ command: ['echo', 'alive'] })).stdout).toBe('alive\n');
      // In docker the bomb's orphans outlive the exec (background processes live until reset, as
      // the compliance suite asserts) and would starve the next case of pids and CPU.
      await sandbox.reset();
    });

    it('kills a memory hog and reports out of memory', async () => {
      const r = await sandbox.exec({
        command: sh('a=$(head -c 400000000 /dev/zero | tr "\\0" x); echo never'),
      });
      expect(r.outOfMemory).toBe(true);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).not.toContain('never');
      const next = await sandbox.exec({ command: ['true'] });
      expect(next.outOfMemory).toBe(false);
    });

    it('caps endless output', async () => {
      // `yes` fills 4096 bytes in microseconds; 10 s leaves a 5x margin for a slow exec start
      const r = await sandbox.exec({ command: ['yes'], timeoutMs: 10_000 });
      expect(r.stdoutTruncated).toBe(true);
      expect(r.stdout).toMatch(/output truncated, \d+ bytes dropped/);
      expect(Buffer.byteLength(r.stdout)).toBeLessThan(4096 + 100);
    });

    it('kills a command past the wall-time limit and reports it', async () => {
      // A request's timeout is the wall-time limit lowered for one command (spec.ts); 4 s keeps the
      // test short while `sleep 60` outlasts it 15 times over.
      const r = await sandbox.exec({ command: sh('echo started; sleep 60; echo never'), timeoutMs: 4000 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBe(137);
      expect(r.stdout).toBe('started\n');
      expect((await sandbox.exec({ command: ['echo', 'alive'] })).stdout).toBe('alive\n');
    });

    it('cannot read host files outside the work dir or the forge token', async () => {
      const secretDir = join(dataDir, 'secrets');
      await mkdir(secretDir, { recursive: true });
      const token = join(secretDir, 'forge-token');
      await writeFile(token, 'ghp_forgetoken123456', { mode: 0o600 });
      await writeFile('/tmp/bzzz-host-file', 'host-only-content');
      try {
        const r = await sandbox.exec({
          command: sh(
            `cat ${token}; cat /tmp/bzzz-host-file; cat /etc/shadow; cat /proc/1/root/etc/shadow; cat ${join(dataDir, 'secrets', 'forge-token')}`,
          ),
        });
        expect(r.stdout).not.toContain('ghp_forgetoken');
        expect(r.stdout).not.toContain('host-only-content');
        expect(r.stdout).not.toMatch(/root:/);
        expect(r.exitCode).not.toBe(0);
      } finally {
        await rm('/tmp/bzzz-host-file', { force: true });
      }
    });

    it('reaches no network address with policy none', async () => {
      const server = await listen('host-service-banner');
      const port = (server.address() as { port: number }).port;
      const ips = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i !== undefined && i.family === 'IPv4')
        .map((i) => i.address);
      try {
        const targets = [...ips, '172.17.0.1', '1.1.1.1'].map(
          (ip) => `socat -T 2 - TCP:${ip}:${port} </dev/null`,
        );
        const r = await sandbox.exec({ command: sh(`${targets.join('; ')}; cat /proc/net/dev`) });
        expect(r.stdout).not.toContain('host-service-banner');
        const interfaces = r.stdout
          .split('\n')
          .slice(2)
          .filter((l) => l.includes(':'))
          .map((l) => l.split(':')[0]!.trim());
        expect(interfaces).toEqual(['lo']);
      } finally {
        server.close();
      }
    });

    it('is not root and cannot escalate through setuid', async () => {
      const r = await sandbox.exec({
        command: sh(
          'id -u; grep -E "^(NoNewPrivs|CapEff)" /proc/self/status; su root -c "id -u" </dev/null; echo su=$?',
        ),
      });
      const lines = r.stdout.trim().split('\n');
      expect(Number(lines[0])).not.toBe(0);
      expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
      expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
      expect(lines).not.toContain('0');
      expect(r.stdout).toMatch(/su=[1-9]/);
    });

    it('has no Docker socket', async () => {
      const r = await sandbox.exec({
        command: sh('ls -l /var/run/docker.sock /run/docker.sock 2>&1; echo end'),
      });
      expect(r.stdout).not.toMatch(/^s/m);
      expect(r.stdout).toMatch(/No such file/);
    });

    it(
      'leaves nothing running after its holder is killed with SIGKILL; leftovers are removed',
      { timeout: 180_000 },
      async () => {
        const holderNode = `${nodeId}-holder`;
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'test/sandbox/fixtures/holder.ts', name, holderNode, dataDir],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        const line = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout }).once('line', resolve);
          child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
        });
        const workDir = line.replace(/^ready /, '');
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        await access(workDir);
        expect(await settle(() => leftovers(holderNode, workDir), runningAfterKill)).toBe(runningAfterKill);
        const fresh = backendFor(name, holderNode, dataDir);
        expect(await fresh.removeLeftovers()).toBe(1);
        await expect(access(workDir)).rejects.toThrow();
        const id = workDir.split('/').at(-2)!;
        await expect(access(`/sys/fs/cgroup/memory/bzzz-sandbox/${id}`)).rejects.toThrow();
        await expect(access(`/sys/fs/cgroup/bzzz-sandbox/${id}`)).rejects.toThrow();
        expect(await leftovers(holderNode, workDir)).toBe(0);
      },
    );
  });
}

async function listen(text: string): Promise<Server> {
  const server = createServer((socket) => socket.end(`${text}\n`));
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return server;
}

/**
 * Polls `count` until it equals `want` (a killed process takes a moment to go) or a 25 s deadline
 * passes: 5x the ~5 s it takes on a loaded machine.
 */
async function settle(count: () => Promise<number>, want: number): Promise<number> {
  const deadline = Date.now() + 25_000;
  let n = await count();
  while (n !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = await count();
  }
  return n;
}
