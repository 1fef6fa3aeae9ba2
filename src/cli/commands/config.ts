/** `bzzz config print [--json]`: the effective configuration, secrets redacted. */
import { stringify } from 'yaml';
import { loadConfig, redactConfig } from '../../config/index.js';
import { UsageError, writeLine, type Command } from '../command.js';
import { parseFlags } from '../flags.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'print the effective configuration (secrets redacted)',
  usage: `Usage: bzzz config print [--config FILE] [--json]

Prints the configuration after merging the YAML file (--config, else ./bzzz.yaml),
BZZZ_* environment variables and flags. Secrets are shown as [redacted].`,
  run: (io) => {
    const { values, positionals } = parseFlags(io.argv, {
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals[0] !== 'print' || positionals.length > 1)
      throw new UsageError('expected: bzzz config print');
    const config = loadConfig({
      ...(values.config ? { file: values.config } : {}),
      env: io.env,
      cwd: io.cwd,
    });
    const shown = redactConfig(config);
    if (values.json) writeLine(io.stdout, JSON.stringify(shown, null, 2));
    else io.stdout.write(stringify(shown));
    return Promise.resolve(0);
  },
};
