/**
 * Every `bzzz` subcommand, in the order `bzzz --help` lists them. Each is loaded only when it
 * runs: `bzzz task list` does not load libp2p, the sandboxes or the reasoner, so a command
 * starts in a fraction of the time the whole program takes to load. Each entry's name and
 * summary are the command's own (test/cli/commands.test.ts holds them equal).
 */
import type { Command } from '../command.js';

/** A subcommand as the dispatcher knows it before loading it. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'up',
    summary: 'run the embedded default: N agents, local forge, example tasks',
    load: async () => (await import('./up.js')).upCommand,
  },
  {
    name: 'agent',
    summary: 'run one agent node in the foreground',
    load: async () => (await import('./agent.js')).agentCommand,
  },
  {
    name: 'status',
    summary: 'cluster view: nodes, leader, tasks and claims',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'repo',
    summary: 'add and list repositories of the local forge',
    load: async () => (await import('./repo.js')).repoCommand,
  },
  {
    name: 'task',
    summary: 'add, list and show tasks of the local forge',
    load: async () => (await import('./task.js')).taskCommand,
  },
  {
    name: 'sandbox',
    summary: 'run a command in a sandbox as a task would; build the sandbox image',
    load: async () => (await import('./sandbox.js')).sandboxCommand,
  },
  {
    name: 'cas',
    summary: 'put, get, stat, verify and collect blobs of the content store',
    load: async () => (await import('./cas.js')).casCommand,
  },
  {
    name: 'resolve',
    summary: 'resolve a bzzz:// address: a blob, an actor, or a task’s name',
    load: async () => (await import('./resolve.js')).resolveCommand,
  },
  {
    name: 'audit',
    summary: "verify this node's signed audit chain; show a task's entries",
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'machines',
    summary: 'export every state machine (JSON or mermaid)',
    load: async () => (await import('./machines.js')).machinesCommand,
  },
  {
    name: 'p2p',
    summary: "the libp2p cluster: a node's peers, the cluster key",
    load: async () => (await import('./p2p.js')).p2pCommand,
  },
  {
    name: 'mcp',
    summary: "the node's MCP server on stdio, for a local MCP client",
    load: async () => (await import('./mcp.js')).mcpCommand,
  },
  {
    name: 'proxy',
    summary: 'the OpenAI-compatible proxy: run it, add virtual keys, show usage',
    load: async () => (await import('./proxy.js')).proxyCommand,
  },
  {
    name: 'config',
    summary: 'print the effective configuration (secrets redacted)',
    load: async () => (await import('./config.js')).configCommand,
  },
];
