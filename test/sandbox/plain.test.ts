/**
 * The unisolated last resort of the embedded default: commands run in a plain work directory
 * with the same result shape, output cap, redaction and time limit as a real sandbox.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlainSandbox, SandboxPathError } from '../../src/adapters/sandbox/index.js';

describe('plain work directory', () => {
  it('runs commands in its work dir, caps and redacts output, kills at the time limit', async () => {
    const base = mkdtempSync(join(tmpdir(), 'bzzz-plain-'));
    const box = await PlainSandbox.create(base, {
      secrets: ['hunter2'],
      limits: { outputBytes: 64, wallTimeMs: 500 },
    });
    const src = mkdtempSync(join(tmpdir(), 'bzzz-plain-src-'));
    writeFileSync(join(src, 'in.txt'), 'hello\n');
    await box.copyIn(src);
    const cat = await box.exec({
      command: ['sh', '-c', 'cat in.txt; echo the password is hunter2; echo oops >&2; exit 3'],
    });
    expect(cat).toMatchObject({ exitCode: 3, timedOut: false });
    expect(cat.stdout).toContain('hello');
    expect(cat.stdout).not.toContain('hunter2');
    expect(cat.stderr).toBe('oops\n');
    const flood = await box.exec({ command: ['sh', '-c', 'yes | head -c 100000'] });
    expect(flood.stdoutTruncated).toBe(true);
    expect(flood.stdout).toContain('output truncated');
    const slow = await box.exec({ command: ['sleep', '5'] });
    expect(slow.timedOut).toBe(true);
    expect(slow.exitCode).toBe(137);
    await box.exec({ command: ['sh', '-c', 'echo out > out.txt'] });
    const out = mkdtempSync(join(tmpdir(), 'bzzz-plain-out-'));
    await box.copyOut('.', out);
    expect(await readFile(join(out, 'out.txt'), 'utf8')).toBe('out\n');
    await expect(box.copyOut('../..', out)).rejects.toBeInstanceOf(SandboxPathError);
    await box.destroy();
    await box.destroy();
    await expect(box.exec({ command: ['true'] })).rejects.toThrow(/destroyed/);
  });
});
