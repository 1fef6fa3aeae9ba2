/**
 * `bzzz config print [--json]`: the effective configuration, secrets redacted, and how the
 * reasoner asks its model for decisions (`reply_mode`).
 */
import { stringify } from 'yaml';
import { REPLY_MODE_POLICY } from '../../adapters/llm/index.js';
import { loadConfig, redactConfig } from '../../config/index.js';
import { UsageError, writeLine, type Command } from '../command.js';
import { parseFlags } from '../flags.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'print the effective configuration (secrets redacted)',
  usage: `Usage: bzzz config print [--config FILE] [--json]

Prints the configuration after merging the YAML file (--config, else ./bzzz.yaml),
BZZZ_* environment variables and flags. Secrets are shown as [redacted].
reply_mode says how a model is asked for its decisions (native tool calls first, then a
JSON schema, then text, as its server allows; found per model and remembered).`,
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
    const shown = {
      ...redactConfig(config),
      reply_mode: config.llm === 'scripted' ? 'none (scripted reasoner)' : REPLY_MODE_POLICY,
    };
    if (values.json) writeLine(io.stdout, JSON.stringify(shown, null, 2));
    else io.stdout.write(stringify(shown));
    return Promise.resolve(0);
  },
};
