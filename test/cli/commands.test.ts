/**
 * The dispatcher's list of commands (loaded only when one runs) matches the commands
 * themselves: a name or summary changed in one place and not the other is caught here.
 */
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';

describe('the command list', () => {
  it('names each command with its own name and summary, and has usage text for each', async () => {
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
      expect(command.usage).toMatch(new RegExp(`^Usage:\\s+bzzz ${entry.name}\\b`));
    }
  });
});
