/** `bzzz machines [--format json|mermaid] [NAME...]`: exports every machine for visualisation. */
import { machineDefinition, toMermaid } from '../../machines/export.js';
import { machines } from '../../machines/index.js';
import { UsageError, writeLine, type Command } from '../command.js';
import { parseFlags } from '../flags.js';

export const machinesCommand: Command = {
  name: 'machines',
  summary: 'export every state machine (JSON or mermaid)',
  usage: `Usage: bzzz machines [--format json|mermaid] [NAME...]

Prints the definition of every state machine of bzzz (or the named ones):
  --format json      one JSON object {name: definition} (default; what Stately's tools read)
  --format mermaid   a mermaid stateDiagram-v2 per machine, separated by a heading

Machines: ${Object.keys(machines).join(', ')}`,
  run: (io) => {
    const { values, positionals } = parseFlags(io.argv, { format: { type: 'string', default: 'json' } });
    const format = values.format;
    if (format !== 'json' && format !== 'mermaid')
      throw new UsageError(`--format must be json or mermaid, not ${format ?? ''}`);
    const names = positionals.length > 0 ? positionals : Object.keys(machines);
    for (const name of names)
      if (!(name in machines))
        throw new UsageError(`unknown machine ${name}; known: ${Object.keys(machines).join(', ')}`);
    if (format === 'json') {
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = machineDefinition(machines[name]!);
      writeLine(io.stdout, JSON.stringify(out, null, 2));
    } else {
      for (const name of names) {
        writeLine(io.stdout, `%% machine: ${name}`);
        writeLine(io.stdout, toMermaid(machines[name]!));
        writeLine(io.stdout);
      }
    }
    return Promise.resolve(0);
  },
};
