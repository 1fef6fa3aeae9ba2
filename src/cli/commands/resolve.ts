/**
 * `bzzz resolve ADDR`: what a bzzz:// address names, asked of the running node's resolver
 * (`--url`, else the configured `resolver_port`); when none answers, resolved from the data
 * dir: blobs from its content store, names from its name index when the names layer provides
 * one offline (else: names need a running node). One line per match: the blob's address, its
 * URL on the resolver and its size. Exit 1 when nothing answers or the address is malformed.
 */
import { resolve as resolvePath } from 'node:path';
import { createContentStore } from '../../adapters/cas/index.js';
import {
  NamesUnavailableError,
  ResolveError,
  Resolver,
  type Resolution,
} from '../../adapters/resolver/index.js';
import { loadConfig, type Config } from '../../config/index.js';
import { silentLogger, systemClock } from '../../lib/index.js';
import { InvalidBzzzUrlError, parseBzzzUrl } from '../../protocol/bzzz-url.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { openOfflineIndex, type OpenOfflineIndex } from '../offline-names.js';
import { askResolver, resolverUrl } from '../resolve-client.js';

const USAGE = `Usage:
  bzzz resolve ADDR [--json] [--url URL] [--data-dir DIR] [--config FILE]

Resolves a bzzz:// address:
  bzzz://blob/<hash>                                   a blob: its size
  bzzz://<node id>/<actor path>                        an actor: its canonical address
  bzzz://<agent>:<role>@<owner>~<repo>:<n>/<path>      a task's name (agent, role: a name or *;
                                                       path: log, diff, thread, pr, audit or a
                                                       file of the result tree): every match
Asks the running node's resolver (--url, else http://<http_host>:<resolver_port>); when none
answers, resolves from DIR (blobs; names only when the data dir's name index can be read).
Prints one match per line (bzzz://blob/<hash>, its resolver URL, its size); --json prints
the resolver's JSON. Exit 1 when nothing answers or the address is malformed.`;

export function createResolveCommand(hooks: { openOfflineIndex?: OpenOfflineIndex | undefined }): Command {
  return {
    name: 'resolve',
    summary: 'resolve a bzzz:// address: a blob, an actor, or a task’s name',
    usage: USAGE,
    async run(io) {
      const { values, positionals } = parseFlags(io.argv, {
        json: { type: 'boolean' },
        url: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
      });
      if (positionals.length !== 1) throw new UsageError('expected exactly one ADDR (see --help)');
      const addr = positionals[0]!;
      const config = loadConfig({
        env: io.env,
        cwd: io.cwd,
        flags: { data_dir: values['data-dir'] },
        ...(values.config ? { file: values.config } : {}),
      });
      const base = resolverUrl(config, values.url);
      const bad = problemOf(addr);
      if (bad !== undefined) return fail(io, bad);
      const display = base ?? `http://127.0.0.1:${config.resolver_port}`;
      const asked = base === undefined ? undefined : await askResolver(base, addr);
      if (asked?.kind === 'failed') return fail(io, asked.message);
      if (asked?.kind === 'resolved') return print(io, asked.resolution, display, values.json === true);
      const reason = asked?.reason ?? 'resolver_port is 0 and no --url was given';
      try {
        const resolution = await resolveOffline(io, config, addr, hooks.openOfflineIndex);
        writeLine(io.stderr, `bzzz resolve: ${reason}; resolved from the data dir`);
        return print(io, resolution, display, values.json === true);
      } catch (error) {
        if (error instanceof NamesUnavailableError)
          return fail(
            io,
            `names need a running node: ${reason}, and this data dir's names cannot be read offline`,
          );
        if (error instanceof ResolveError) return fail(io, error.message);
        throw error;
      }
    },
  };
}

export const resolveCommand: Command = createResolveCommand({ openOfflineIndex });

/** What is wrong with a malformed address (checked before any node or store is asked). */
function problemOf(addr: string): string | undefined {
  try {
    parseBzzzUrl(addr);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidBzzzUrlError) return error.message;
    throw error;
  }
}

function fail(io: CommandIO, message: string): number {
  writeLine(io.stderr, `bzzz resolve: ${message}`);
  return 1;
}

/** Resolves from the data dir: its content store, and its name index if it can be opened. */
async function resolveOffline(
  io: CommandIO,
  config: Config,
  addr: string,
  open: OpenOfflineIndex | undefined,
): Promise<Resolution> {
  const dataDir = resolvePath(io.cwd, config.data_dir);
  const components = { logger: silentLogger(), clock: systemClock };
  const store = createContentStore({ dataDir }, components);
  await store.start();
  const names = await open?.(dataDir);
  try {
    const resolver = new Resolver({ cluster: config.cluster }, { ...components, store, names: names?.index });
    return await resolver.resolve(addr);
  } finally {
    await names?.close();
    await store.stop();
  }
}

function print(io: CommandIO, resolution: Resolution, base: string, json: boolean): number {
  if (json) {
    writeLine(io.stdout, JSON.stringify(resolution));
    return 0;
  }
  const blobLine = (hash: string, size: number | undefined, rest = ''): string =>
    `bzzz://blob/${hash}  ${base}/v1/blobs/${hash}  ${size === undefined ? '?' : size} bytes${rest}`;
  if (resolution.kind === 'actor') writeLine(io.stdout, resolution.address ?? resolution.addr);
  else if (resolution.kind === 'blob') writeLine(io.stdout, blobLine(resolution.hash!, resolution.size));
  else
    for (const m of resolution.matches ?? []) {
      const who = `  ${m.agent}@${m.nodeName} ${m.task} seq ${m.seq}`;
      writeLine(io.stdout, m.url !== undefined ? `${m.url}${who}` : blobLine(m.hash!, m.size, who));
    }
  return 0;
}
