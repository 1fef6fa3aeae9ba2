/**
 * `bzzz repo add|list`: the repositories of the local forge (`BZZZ_FORGE_DIR`, default
 * `<BZZZ_DATA_DIR or ./.bzzz>/forge`). `add --from` imports an existing repository.
 */
import { isAbsolute, resolve } from 'node:path';
import { InvalidRepoNameError, LocalForge } from '../../adapters/forge/index.js';
import { silentLogger, systemClock } from '../../lib/index.js';
import { forgeDir, loadConfig } from '../../config/index.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';

const USAGE = `Usage:
  bzzz repo add OWNER/NAME [--from PATH|GIT_URL]   add a repository to the local forge
                                                   (import PATH or GIT_URL; else a new one
                                                   with an initial commit on main)
  bzzz repo list [--json]                          repositories and their clone URLs

The local forge lives in BZZZ_FORGE_DIR (default <BZZZ_DATA_DIR or ./.bzzz>/forge).`;

/** The local forge of the configuration (`forge_dir`, else `<data_dir>/forge`). */
export function localForge(io: Pick<CommandIO, 'env' | 'cwd'>): LocalForge {
  const dir = forgeDir(loadConfig({ env: io.env, cwd: io.cwd }));
  return new LocalForge({ dir }, { logger: silentLogger(), clock: systemClock });
}

/** True when `argv` asks for help. */
export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export const repoCommand: Command = {
  name: 'repo',
  summary: 'add and list repositories of the local forge',
  usage: USAGE,
  async run(io) {
    const [sub, ...rest] = io.argv;
    if (wantsHelp(io.argv)) {
      writeLine(io.stdout, USAGE);
      return 0;
    }
    if (sub === undefined) throw new UsageError('missing command: add or list (see --help)');
    if (sub === 'add') return add(io, rest);
    if (sub === 'list') return list(io, rest);
    throw new UsageError(`unknown repo command ${JSON.stringify(sub)} (expected add or list)`);
  },
};

async function add(io: CommandIO, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { from: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('repo add needs exactly one OWNER/NAME');
  const from = values.from;
  const source = from === undefined || isUrlLike(from) || isAbsolute(from) ? from : resolve(io.cwd, from);
  try {
    const repo = await localForge(io).addRepo(
      positionals[0] ?? '',
      source === undefined ? {} : { from: source },
    );
    writeLine(io.stdout, `${repo.name} ${repo.cloneUrl}`);
    return 0;
  } catch (error) {
    if (error instanceof InvalidRepoNameError) throw new UsageError(error.message);
    throw error;
  }
}

async function list(io: CommandIO, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError('repo list takes no arguments');
  const repos = (await localForge(io).listRepos()).map((r) => ({ name: r.name, url: r.cloneUrl }));
  if (values.json === true) {
    writeLine(io.stdout, JSON.stringify(repos));
    return 0;
  }
  if (repos.length === 0) writeLine(io.stdout, 'no repositories (bzzz repo add OWNER/NAME)');
  for (const r of repos) writeLine(io.stdout, `${r.name}  ${r.url}`);
  return 0;
}

function isUrlLike(from: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(from) || /^[^/]+@[^/]+:/.test(from);
}
