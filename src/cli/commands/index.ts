/** Every `bzzz` subcommand, in the order `bzzz --help` lists them. */
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { configCommand } from './config.js';
import { machinesCommand } from './machines.js';

export const commands: readonly Command[] = [agentCommand, machinesCommand, configCommand];
