/**
 * A semantic name's resolution: the records the name index holds for it (a `*` may match
 * several agents or roles), newest first; for a file path, the file's entry in the result
 * tree of each matching record. A record's value came from another node: a blob value that is
 * not a hash, or a `pr` value that is not an http(s) URL, is left out and logged.
 */
import { isBlobHash } from '../cas/index.js';
import type { TaskArtifactPath, TaskNameIndex, TaskNameMatch, TreeManifest } from '../names/index.js';
import { taskNamePath, type NameUrl } from '../../protocol/bzzz-url.js';
import type { Logger } from '../../lib/log.js';
import type { BlobAccess } from './blobs.js';
import { LookupFailedError, NamesUnavailableError, NotFoundError } from './errors.js';
import type { Lru } from './lru.js';
import { fileOf, parseTreeManifest } from './manifest.js';
import type { ResolvedMatch, Resolution } from './types.js';

/** Records shown for one name at most (a `*` over a busy task). */
const MAX_MATCHES = 100;

export interface NameResolverDeps {
  names: TaskNameIndex | undefined;
  blobs: BlobAccess;
  /** Parsed manifests by hash (blobs never change). */
  manifests: Lru<TreeManifest>;
  maxTrees: number;
  maxManifestBytes: number;
  logger: Logger;
}

export async function resolveName(url: NameUrl, addr: string, deps: NameResolverDeps): Promise<Resolution> {
  if (deps.names === undefined) throw new NamesUnavailableError();
  const kind = taskNamePath(url.path);
  const records = await lookup(deps.names, url, kind === 'file' ? 'tree' : kind);
  const matches =
    kind === 'file'
      ? await fileMatches(records, url.path.join('/'), addr, deps)
      : records.flatMap((r) => artifactMatch(r, deps.logger) ?? []);
  if (matches.length === 0) throw new NotFoundError(`no record answers ${addr}`);
  const [newest] = matches as [ResolvedMatch];
  return {
    addr,
    kind: 'names',
    ...(newest.hash === undefined ? {} : { hash: newest.hash }),
    ...(newest.size === undefined ? {} : { size: newest.size }),
    ...(newest.url === undefined ? {} : { url: newest.url }),
    matches,
  };
}

async function lookup(index: TaskNameIndex, url: NameUrl, path: TaskArtifactPath): Promise<TaskNameMatch[]> {
  const { agent, role, owner, repo, number } = url;
  let records: TaskNameMatch[];
  try {
    records = await index.lookup({ agent, role, owner, repo, number, path });
  } catch (error) {
    throw new LookupFailedError('the name index lookup', error);
  }
  return [...records].sort((a, b) => b.seq - a.seq).slice(0, MAX_MATCHES);
}

function base(record: TaskNameMatch, path: string): ResolvedMatch {
  const { node, nodeName, agent, roles, task, seq } = record;
  return { node, nodeName, agent, roles: [...roles], task, path, seq };
}

/** The match of a `log`, `diff`, `thread`, `audit` or `pr` record; undefined for a bad value. */
function artifactMatch(record: TaskNameMatch, logger: Logger): ResolvedMatch | undefined {
  if (record.path === 'pr') {
    if (!isHttpUrl(record.value)) {
      logger.warn({ node: record.node, task: record.task }, 'a pr record whose value is not an http(s) URL');
      return undefined;
    }
    return { ...base(record, 'pr'), url: record.value };
  }
  if (!isBlobHash(record.value)) {
    logger.warn(
      { node: record.node, task: record.task, path: record.path },
      'a name record whose value is not a blob hash',
    );
    return undefined;
  }
  return {
    ...base(record, record.path),
    hash: record.value,
    ...(record.size === undefined ? {} : { size: record.size }),
  };
}

/** The file's entry in the result tree of each record (the newest `maxTrees`). */
async function fileMatches(
  records: TaskNameMatch[],
  path: string,
  addr: string,
  deps: NameResolverDeps,
): Promise<ResolvedMatch[]> {
  const matches: ResolvedMatch[] = [];
  const problems: string[] = [];
  for (const record of records.slice(0, deps.maxTrees)) {
    try {
      const manifest = await loadManifest(record.value, deps);
      const entry = manifest === undefined ? undefined : fileOf(manifest, path);
      if (manifest === undefined) problems.push(`no node holds result tree ${record.value}`);
      else if (entry !== undefined)
        matches.push({ ...base(record, path), hash: entry.hash, size: entry.size });
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (matches.length === 0 && records.length > 0)
    throw new NotFoundError(
      `no file ${JSON.stringify(path)} in the result tree of ${addr}${problems.length === 0 ? '' : ` (${problems.join('; ')})`}`,
    );
  return matches;
}

async function loadManifest(hash: string, deps: NameResolverDeps): Promise<TreeManifest | undefined> {
  if (!isBlobHash(hash)) throw new Error(`a tree record's value is not a blob hash`);
  const cached = deps.manifests.get(hash);
  if (cached !== undefined) return cached;
  const bytes = await deps.blobs.bytes(hash, deps.maxManifestBytes);
  if (bytes === undefined) return undefined;
  const manifest = parseTreeManifest(hash, bytes);
  deps.manifests.set(hash, manifest);
  return manifest;
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}
