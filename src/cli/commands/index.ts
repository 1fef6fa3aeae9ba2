/** Every `bzzz` subcommand, in the order `bzzz --help` lists them. */
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { casCommand } from './cas.js';
import { configCommand } from './config.js';
import { machinesCommand } from './machines.js';
import { p2pCommand } from './p2p.js';
import { repoCommand } from './repo.js';
import { sandboxCommand } from './sandbox.js';
import { statusCommand } from './status.js';
import { taskCommand } from './task.js';
import { upCommand } from './up.js';

export const commands: readonly Command[] = [
  upCommand,
  agentCommand,
  statusCommand,
  repoCommand,
  taskCommand,
  sandboxCommand,
  casCommand,
  machinesCommand,
  p2pCommand,
  configCommand,
];
