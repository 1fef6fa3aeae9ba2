/**
 * `bzzz status [--json]`: the cluster as the nodes see it (SPEC §4): nodes with their state,
 * capabilities and load, the leader, tasks and claims. With `BZZZ_NATS_URL` set it asks every
 * node's micro service (`bzzz.<cluster>.status`) and merges the answers; on a libp2p cluster
 * (`BZZZ_BUS=libp2p`, or `--peer`) it asks one node over the status protocol, which gathers its
 * peers' documents too, and merges them; otherwise it asks the local node over HTTP
 * (`GET http://127.0.0.1:$BZZZ_HTTP_PORT/api/v1/status`). Every answer is validated before
 * use; a node answering nonsense is left out.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { requestFromEveryNode } from '../../adapters/bus/index.js';
import {
  DEFAULT_LISTEN,
  P2PStatusUnavailableError,
  requestStatusOverP2P,
  splitAddressList,
} from '../../adapters/p2p/index.js';
import { describeError } from '../../lib/errors.js';
import { BzzzError } from '../../lib/errors.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';

const USAGE = `Usage: bzzz status [--json] [--timeout MS] [--peer MULTIADDR,...]

Shows the cluster: nodes (state, capabilities, load), the leader, tasks and their holders.
Over NATS when BZZZ_NATS_URL is set (every node's micro service answers; BZZZ_NATS_CREDS,
BZZZ_CLUSTER apply). Over libp2p when BZZZ_BUS=libp2p or --peer is given: the first node that
answers (--peer, else BZZZ_P2P_BOOTSTRAP, else this host's BZZZ_P2P_LISTEN port on loopback)
gathers its peers' answers; BZZZ_P2P_PSK_FILE is the cluster key. Else from the local node's
HTTP API on BZZZ_HTTP_PORT (default 9000).

  --json         print the status document as JSON
  --timeout MS   how long to wait for answers (default 2000)
  --peer ADDRS   ask these libp2p nodes (comma-separated multiaddrs), in order`;

const nodeSchema = z.looseObject({
  id: z.string().max(128),
  name: z.string().max(256),
  state: z.string().max(32),
  capabilities: z.array(z.string().max(256)).max(256),
  tasks: z.number(),
});
const taskSchema = z.looseObject({
  key: z.string().max(300),
  state: z.string().max(32),
  holder: z.string().max(256).nullable(),
});

/** The status document (SPEC §4), as read from a node. */
export const statusDocumentSchema = z.looseObject({
  cluster: z.string().max(64),
  self: z.looseObject({ id: z.string().max(128), name: z.string().max(256) }),
  leader: z.looseObject({ node: z.string().max(128), term: z.number() }).nullable(),
  nodes: z.array(nodeSchema).max(10_000),
  tasks: z.array(taskSchema).max(100_000),
});
export type StatusDocument = z.infer<typeof statusDocumentSchema>;

/** Nobody answered: no node on NATS, or no node on the HTTP port. */
export class StatusUnavailableError extends BzzzError {
  override readonly name = 'StatusUnavailableError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}

const SEVERITY: Record<string, number> = { alive: 0, joining: 1, suspect: 2, dead: 3 };
const FINAL = new Set(['done', 'failed', 'escalated', 'lost']);

/**
 * Merges the answers of several nodes: a node that answered describes itself (it is alive);
 * another is shown in the most pessimistic state any answer gives it (a dead node answers no
 * one, and the first to notice is right). The leader with the highest term wins; for a task,
 * a final state wins over a working one, else the first answer.
 */
export function mergeStatus(documents: readonly StatusDocument[]): StatusDocument {
  const first = documents[0];
  if (first === undefined) throw new StatusUnavailableError('no status to merge');
  const answered = new Set(documents.map((d) => d.self.id));
  const nodes = new Map<string, StatusDocument['nodes'][number]>();
  for (const doc of documents) {
    for (const node of doc.nodes) {
      const known = nodes.get(node.id);
      const own = node.id === doc.self.id;
      if (known === undefined || own) nodes.set(node.id, own ? { ...node, state: 'alive' } : node);
      else if (!answered.has(node.id) && (SEVERITY[node.state] ?? 0) > (SEVERITY[known.state] ?? 0))
        nodes.set(node.id, { ...known, state: node.state });
    }
  }
  let leader: StatusDocument['leader'] = null;
  for (const doc of documents)
    if (doc.leader !== null && (leader === null || doc.leader.term > leader.term)) leader = doc.leader;
  const tasks = new Map<string, StatusDocument['tasks'][number]>();
  for (const doc of documents) {
    for (const task of doc.tasks) {
      const known = tasks.get(task.key);
      if (known === undefined || (FINAL.has(task.state) && !FINAL.has(known.state)))
        tasks.set(task.key, task);
    }
  }
  return {
    cluster: first.cluster,
    self: first.self,
    leader,
    nodes: [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    tasks: [...tasks.values()].sort((a, b) => a.key.localeCompare(b.key)),
  };
}

async function overNats(io: CommandIO, url: string, timeoutMs: number): Promise<StatusDocument> {
  const cluster = io.env.BZZZ_CLUSTER ?? 'local';
  const answers = await requestFromEveryNode({
    servers: url,
    credsFile: io.env.BZZZ_NATS_CREDS,
    cluster,
    endpoint: 'status',
    timeoutMs,
    name: 'bzzz status',
  });
  const documents = answers.flatMap((a) => {
    const parsed = statusDocumentSchema.safeParse(a);
    return parsed.success ? [parsed.data] : [];
  });
  if (documents.length === 0)
    throw new StatusUnavailableError(`no bzzz node of cluster ${cluster} answered on NATS at ${url}`);
  return mergeStatus(documents);
}

/** Where to ask on libp2p: --peer, else the bootstrap list, else this host's listen port. */
function p2pTargets(io: CommandIO, peer: string | undefined): string[] {
  if (peer !== undefined) return splitAddressList(peer);
  const bootstrap = splitAddressList(io.env.BZZZ_P2P_BOOTSTRAP ?? '');
  if (bootstrap.length > 0) return bootstrap;
  const listen = splitAddressList(io.env.BZZZ_P2P_LISTEN ?? DEFAULT_LISTEN);
  return listen.map((address) => address.replace(/^\/ip4\/0\.0\.0\.0\//, '/ip4/127.0.0.1/'));
}

async function overP2P(io: CommandIO, peer: string | undefined, timeoutMs: number): Promise<StatusDocument> {
  const keyFile = io.env.BZZZ_P2P_PSK_FILE;
  let psk: string | undefined;
  if (keyFile !== undefined && keyFile !== '') {
    try {
      psk = readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new UsageError(`BZZZ_P2P_PSK_FILE=${keyFile}: cannot read (${describeError(error)})`);
    }
  }
  let answers: unknown[];
  try {
    answers = await requestStatusOverP2P({
      addresses: p2pTargets(io, peer),
      timeoutMs,
      ...(psk === undefined ? {} : { psk }),
    });
  } catch (error) {
    if (error instanceof P2PStatusUnavailableError)
      throw new StatusUnavailableError(error.message, { cause: error });
    throw error;
  }
  const documents = answers.flatMap((a) => {
    const parsed = statusDocumentSchema.safeParse(a);
    return parsed.success ? [parsed.data] : [];
  });
  if (documents.length === 0)
    throw new StatusUnavailableError('the libp2p node answered no valid status document');
  return mergeStatus(documents);
}

async function overHttp(io: CommandIO, timeoutMs: number): Promise<StatusDocument> {
  const port = io.env.BZZZ_HTTP_PORT ?? '9000';
  if (!/^\d{1,5}$/.test(port)) throw new UsageError(`BZZZ_HTTP_PORT: not a port: ${JSON.stringify(port)}`);
  const url = `http://127.0.0.1:${port}/api/v1/status`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new StatusUnavailableError(`no bzzz node answered at ${url} (${describeError(error)})`, {
      cause: error,
    });
  }
  const parsed = statusDocumentSchema.safeParse(body);
  if (!parsed.success) throw new StatusUnavailableError(`${url} did not answer a status document`);
  return parsed.data;
}

function printHuman(io: CommandIO, doc: StatusDocument): void {
  const leader = doc.leader === null ? 'none' : `${doc.leader.node} (term ${doc.leader.term})`;
  writeLine(io.stdout, `cluster ${doc.cluster}  seen from ${doc.self.name}  leader ${leader}`);
  writeLine(io.stdout, `nodes (${doc.nodes.length}):`);
  for (const node of doc.nodes) {
    const caps = node.capabilities.length === 0 ? '-' : node.capabilities.join(',');
    writeLine(
      io.stdout,
      `  ${node.name.padEnd(16)} ${node.state.padEnd(8)} tasks ${String(node.tasks).padEnd(3)} ${caps}  ${node.id}`,
    );
  }
  writeLine(io.stdout, `tasks (${doc.tasks.length}):`);
  for (const task of doc.tasks)
    writeLine(io.stdout, `  ${task.key.padEnd(32)} ${task.state.padEnd(10)} ${task.holder ?? '-'}`);
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'cluster view: nodes, leader, tasks and claims',
  usage: USAGE,
  async run(io) {
    const { values, positionals } = parseFlags(io.argv, {
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      peer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help === true) {
      writeLine(io.stdout, USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const timeoutMs = values.timeout === undefined ? 2000 : Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
      throw new UsageError('--timeout: milliseconds between 1 and 600000');
    const url = io.env.BZZZ_NATS_URL;
    let doc: StatusDocument;
    if (values.peer !== undefined || io.env.BZZZ_BUS === 'libp2p')
      doc = await overP2P(io, values.peer, timeoutMs);
    else if (url !== undefined && url !== '') doc = await overNats(io, url, timeoutMs);
    else doc = await overHttp(io, timeoutMs);
    if (values.json === true) writeLine(io.stdout, JSON.stringify(doc, null, 2));
    else printHuman(io, doc);
    return 0;
  },
};
