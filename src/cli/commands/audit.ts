/**
 * `bzzz audit verify|show`: the audit log of this node's data dir (`--data-dir`, else
 * `BZZZ_DATA_DIR`/`data_dir`, default ./.bzzz), read directly: it works whether a node runs on
 * the same data dir or not (the head file is read before the journal, and the journal is only
 * ever appended to). `verify` exits 1 naming the first bad entry; `--node ID` verifies another
 * node's chain from the blobs replicated here, against the heads of it witnessed here.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  taskEntries,
  verifyChain,
  verifyNodeChain,
  type ChainReport,
  type ShownEntry,
} from '../../adapters/audit/index.js';
import { createContentStore, type ContentStore } from '../../adapters/cas/index.js';
import { loadConfig } from '../../config/index.js';
import { silentLogger, systemClock } from '../../lib/index.js';
import { IDENTITY_FILE, parseIdentityKey } from '../../protocol/identity.js';
import { isNodeId } from '../../protocol/node-id.js';
import { isTaskKey } from '../../protocol/task-key.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { wantsHelp } from './repo.js';

const USAGE = `Usage:
  bzzz audit verify [--node ID] [--blobs] [--json]
                          check this node's audit chain: every entry's hash, link, sequence
                          and signature, the signed head, the heads of it peers witnessed,
                          and that the content store holds each entry (--blobs: reads and
                          verifies each one). Exit 1 names the first bad entry.
                          --node ID: another node's chain, from the blobs replicated here,
                          against the heads of it this node witnessed
  bzzz audit show --task KEY [--json]
                          a task's entries in this node's chain (--json: each with its hash)

Every command takes --data-dir DIR (default BZZZ_DATA_DIR or ./.bzzz); the log lives in
DIR/audit, its blobs in DIR/blobs.`;

const common = { 'data-dir': { type: 'string' }, json: { type: 'boolean' } } as const;

export const auditCommand: Command = {
  name: 'audit',
  summary: "verify this node's signed audit chain; show a task's entries",
  usage: USAGE,
  async run(io) {
    const [sub, ...rest] = io.argv;
    if (wantsHelp(io.argv)) {
      writeLine(io.stdout, USAGE);
      return 0;
    }
    if (sub === 'verify') return verify(io, rest);
    if (sub === 'show') return show(io, rest);
    throw new UsageError(
      sub === undefined
        ? 'missing command: verify or show (see --help)'
        : `unknown audit command ${JSON.stringify(sub)}`,
    );
  },
};

function dataDirOf(io: CommandIO, flag: string | undefined): string {
  const config = loadConfig({ env: io.env, cwd: io.cwd, flags: { data_dir: flag } });
  return resolve(io.cwd, config.data_dir);
}

async function verify(io: CommandIO, argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    ...common,
    node: { type: 'string' },
    blobs: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError('verify takes no arguments');
  if (values.node !== undefined && !isNodeId(values.node))
    throw new UsageError(`--node: not a node id: ${JSON.stringify(values.node)}`);
  const dataDir = dataDirOf(io, values['data-dir']);
  const report = await withStore(dataDir, async (store) =>
    values.node === undefined
      ? verifyChain(dataDir, { store, blobs: values.blobs === true, ...(await ownNodeId(dataDir)) })
      : verifyNodeChain(dataDir, values.node, store),
  );
  if (values.json === true) writeLine(io.stdout, JSON.stringify(report));
  else printReport(io, report);
  return report.ok ? 0 : 1;
}

function printReport(io: CommandIO, report: ChainReport): void {
  for (const note of report.notes) writeLine(io.stdout, `note: ${note}`);
  const { problem } = report;
  if (problem !== null) {
    const where = problem.seq === 0 ? 'the chain head' : `entry seq ${problem.seq}`;
    writeLine(io.stderr, `bzzz audit: bad ${where} (hash ${problem.hash ?? 'unknown'}): ${problem.reason}`);
    return;
  }
  const head =
    report.head === null ? 'no head yet' : `head seq ${report.head.seq} (${report.head.hash}), signed`;
  writeLine(
    io.stdout,
    `ok: ${report.entries} entries of ${report.node ?? 'this node'}, ${head}; ${report.witnessed} witnessed heads agree`,
  );
}

async function show(io: CommandIO, argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...common, task: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError('show takes no arguments (--task KEY)');
  const task = values.task;
  if (task === undefined) throw new UsageError('show needs --task KEY');
  if (!isTaskKey(task))
    throw new UsageError(`--task: not a task key (forge:owner/repo#n): ${JSON.stringify(task)}`);
  const { entries, unreadable } = await taskEntries(dataDirOf(io, values['data-dir']), task);
  if (unreadable > 0)
    writeLine(io.stderr, `bzzz audit: ${unreadable} records unreadable (run bzzz audit verify)`);
  if (values.json === true) writeLine(io.stdout, JSON.stringify(entries));
  else for (const entry of entries) writeLine(io.stdout, describe(entry));
  if (entries.length === 0 && values.json !== true)
    writeLine(io.stderr, `bzzz audit: no entries for ${task} in this node's log`);
  return entries.length === 0 ? 1 : 0;
}

function describe(entry: ShownEntry): string {
  const token = entry.token === null ? '-' : String(entry.token);
  return `${String(entry.seq).padStart(6)}  ${entry.at}  ${entry.kind.padEnd(10)}  token ${token.padEnd(5)}  ${entry.hash}  ${JSON.stringify(entry.data)}`;
}

/** The data dir's own node id, from its identity key, read only (none when there is no key). */
async function ownNodeId(dataDir: string): Promise<{ nodeId?: string }> {
  try {
    return { nodeId: parseIdentityKey(await readFile(join(dataDir, IDENTITY_FILE))).nodeId };
  } catch {
    return {};
  }
}

async function withStore<T>(dataDir: string, fn: (store: ContentStore) => Promise<T>): Promise<T> {
  const store = createContentStore({ dataDir }, { logger: silentLogger(), clock: systemClock });
  await store.start();
  try {
    return await fn(store);
  } finally {
    await store.stop();
  }
}
