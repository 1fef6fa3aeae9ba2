/**
 * `bzzz cas put|get|stat|verify|gc`: the content store of this node's data dir (`--data-dir`,
 * else `BZZZ_DATA_DIR`/`data_dir`, default ./.bzzz), opened directly: it works whether a node
 * runs on the same data dir or not (the index is shared safely between processes). Bad input
 * (a bad hash string, an unknown hash, a missing file) gets one line and a non-zero exit.
 */
import { createReadStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  BadHashError,
  CasError,
  createContentStore,
  parseBlobHash,
  type ContentStore,
} from '../../adapters/cas/index.js';
import { z } from 'zod';
import { loadConfig } from '../../config/index.js';
import { describeError } from '../../lib/errors.js';
import { silentLogger, systemClock } from '../../lib/index.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { nodeUrl } from '../node-url.js';
import { progressBar } from '../progress-bar.js';
import { wantsHelp } from './repo.js';

const USAGE = `Usage:
  bzzz cas put FILE|- [--pin]        store a file (- reads stdin); prints its BLAKE3-256 hash
  bzzz cas get HASH [-o FILE]        write a blob to stdout or FILE, verified; exit 1 if corrupt
  bzzz cas stat HASH [--json] [--url URL]
                                     size, stored size, compression, references, pin, and
                                     the holders the running node knows (GET /api/v1/cas/HASH)
  bzzz cas verify [--repair] [--json]
                                     check every blob; corrupt ones are quarantined (--repair
                                     fetches them again from a replica when one is reachable)
  bzzz cas gc [--grace-ms MS] [--json]
                                     remove blobs no pin or reference keeps, untouched for the
                                     grace period (default 1 h)

Every command takes --data-dir DIR (default BZZZ_DATA_DIR or ./.bzzz); blobs live in
DIR/blobs. A progress bar shows on a terminal for files of 8 MiB and more.`;

const dataDirFlag = { 'data-dir': { type: 'string' } } as const;

export const casCommand: Command = {
  name: 'cas',
  summary: 'put, get, stat, verify and collect blobs of the content store',
  usage: USAGE,
  async run(io) {
    const [sub, ...rest] = io.argv;
    if (wantsHelp(io.argv)) {
      writeLine(io.stdout, USAGE);
      return 0;
    }
    const handler = sub === undefined ? undefined : HANDLERS[sub];
    if (handler === undefined)
      throw new UsageError(
        sub === undefined
          ? 'missing command: put, get, stat, verify or gc (see --help)'
          : `unknown cas command ${JSON.stringify(sub)}`,
      );
    try {
      return await handler(io, rest);
    } catch (error) {
      if (error instanceof BadHashError) throw new UsageError(error.message);
      if (error instanceof CasError) {
        writeLine(io.stderr, `bzzz cas: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};

type Handler = (io: CommandIO, argv: string[]) => Promise<number>;

async function withStore<T>(
  io: CommandIO,
  dataDir: string | undefined,
  fn: (store: ContentStore) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ env: io.env, cwd: io.cwd, flags: { data_dir: dataDir } });
  const store = createContentStore(
    { dataDir: resolve(io.cwd, config.data_dir) },
    { logger: silentLogger(), clock: systemClock },
  );
  await store.start();
  try {
    return await fn(store);
  } finally {
    await store.stop();
  }
}

const one = (positionals: string[], what: string): string => {
  if (positionals.length !== 1) throw new UsageError(`expected exactly one ${what}`);
  return positionals[0]!;
};

const HANDLERS: Record<string, Handler> = {
  async put(io, argv) {
    const { values, positionals } = parseFlags(argv, { ...dataDirFlag, pin: { type: 'boolean' } });
    const file = one(positionals, 'FILE (or - for stdin)');
    let size: number | undefined;
    if (file !== '-') {
      const info = await stat(resolve(io.cwd, file)).catch(() => undefined);
      if (info === undefined || !info.isFile()) {
        writeLine(io.stderr, `bzzz cas: no such file: ${file}`);
        return 1;
      }
      size = info.size;
    }
    const bar = progressBar(
      io.stderr,
      'put',
      size,
      io.tty && (size === undefined || size >= 8 * 1024 * 1024),
    );
    const source =
      file === '-' ? process.stdin : createReadStream(resolve(io.cwd, file), { highWaterMark: 1024 * 1024 });
    const put = await withStore(io, values['data-dir'], (store) =>
      store.put(source, { pin: values.pin === true, onProgress: (n) => bar.update(n) }),
    ).finally(() => bar.done());
    writeLine(io.stdout, put.hash);
    return 0;
  },

  async get(io, argv) {
    const { values, positionals } = parseFlags(argv, {
      ...dataDirFlag,
      output: { type: 'string', short: 'o' },
    });
    const hash = parseBlobHash(one(positionals, 'HASH'));
    return withStore(io, values['data-dir'], async (store) => {
      const stream = await store.read(hash);
      if (values.output === undefined) {
        for await (const chunk of stream)
          if (!io.stdout.write(chunk)) await new Promise((r) => io.stdout.once('drain', r));
        return 0;
      }
      // written beside the target and renamed once verified: a corrupt blob leaves no file
      const target = resolve(io.cwd, values.output);
      const partial = `${target}.bzzz-partial`;
      try {
        await writeFile(partial, stream);
        await rename(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return 0;
    });
  },

  async stat(io, argv) {
    const { values, positionals } = parseFlags(argv, {
      ...dataDirFlag,
      json: { type: 'boolean' },
      url: { type: 'string' },
      config: { type: 'string' },
    });
    const hash = parseBlobHash(one(positionals, 'HASH'));
    return withStore(io, values['data-dir'], async (store) => {
      const info = await store.stat(hash);
      const replication = await clusterHolders(io, hash, values);
      if (info === undefined && !('holders' in replication)) {
        writeLine(io.stderr, `bzzz cas: no blob ${hash}`);
        return 1;
      }
      if (values.json === true)
        writeLine(io.stdout, JSON.stringify({ hash, local: info ?? null, replication }));
      else {
        writeLine(io.stdout, `hash         ${hash}`);
        if (info === undefined) writeLine(io.stdout, 'local        not in this store');
        else {
          writeLine(io.stdout, `size         ${info.size}`);
          writeLine(io.stdout, `stored       ${info.storedSize} (${info.compression})`);
          writeLine(io.stdout, `references   ${info.refs}`);
          writeLine(io.stdout, `pinned       ${info.pinned ? 'yes' : 'no'}`);
          writeLine(io.stdout, `first seen   ${new Date(info.firstSeen).toISOString()}`);
        }
        writeLine(
          io.stdout,
          'holders' in replication
            ? `holders      ${replication.holders.join(', ') || '-'} (wanted ${replication.wanted})`
            : `holders      unknown: ${replication.unknown}`,
        );
      }
      return 0;
    });
  },

  async verify(io, argv) {
    const { values, positionals } = parseFlags(argv, {
      ...dataDirFlag,
      repair: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError('verify takes no arguments');
    return withStore(io, values['data-dir'], async (store) => {
      const report = await store.verify({ repair: values.repair === true });
      const broken = [...report.corrupt, ...report.missing].filter((h) => !report.repaired.includes(h));
      if (values.json === true) writeLine(io.stdout, JSON.stringify(report));
      else {
        for (const h of report.corrupt)
          writeLine(io.stdout, `corrupt   ${h}${report.repaired.includes(h) ? ' (repaired)' : ''}`);
        for (const h of report.missing)
          writeLine(io.stdout, `missing   ${h}${report.repaired.includes(h) ? ' (repaired)' : ''}`);
        for (const h of report.adopted) writeLine(io.stdout, `adopted   ${h}`);
        writeLine(
          io.stdout,
          `${report.checked} checked, ${broken.length} broken, ${report.repaired.length} repaired`,
        );
      }
      if (broken.length > 0 && values.repair === true && values.json !== true)
        writeLine(
          io.stderr,
          'bzzz cas: no replica could repair the broken blobs (the CAS replicator runs inside a node)',
        );
      return broken.length > 0 ? 1 : 0;
    });
  },

  async gc(io, argv) {
    const { values, positionals } = parseFlags(argv, {
      ...dataDirFlag,
      'grace-ms': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError('gc takes no arguments');
    const raw = values['grace-ms'];
    const graceMs = raw === undefined ? undefined : Number(raw);
    if (graceMs !== undefined && (!Number.isInteger(graceMs) || graceMs < 0))
      throw new UsageError('--grace-ms must be a non-negative integer');
    return withStore(io, values['data-dir'], async (store) => {
      const report = await store.gc(graceMs === undefined ? {} : { graceMs });
      if (values.json === true) writeLine(io.stdout, JSON.stringify(report));
      else
        writeLine(
          io.stdout,
          `removed ${report.removed.length} blobs (${report.freedBytes} bytes), ${report.live} kept`,
        );
      return 0;
    });
  },
};

const holdersSchema = z.looseObject({
  holders: z.array(z.string().max(128)).max(1000),
  wanted: z.number().int().min(0),
});

/** What the running node knows of a blob's holders; `unknown` says why nothing is known. */
async function clusterHolders(
  io: CommandIO,
  hash: string,
  flags: { url?: string; config?: string },
): Promise<{ holders: string[]; wanted: number } | { unknown: string }> {
  const url = `${nodeUrl(io, flags)}/api/v1/cas/${hash}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (response.status === 404) return { unknown: 'no node of the cluster is known to hold it' };
    if (!response.ok) return { unknown: `${url}: HTTP ${response.status}` };
    const parsed = holdersSchema.safeParse(await response.json());
    if (!parsed.success) return { unknown: `${url} did not answer holders` };
    return { holders: parsed.data.holders, wanted: parsed.data.wanted };
  } catch (error) {
    return { unknown: `no node answered at ${url} (${describeError(error)})` };
  }
}
