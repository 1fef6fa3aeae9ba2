/**
 * Recovery at start: the head file says which chain is committed (its seq, its last entry's
 * hash, the journal bytes that hold it); the journal is read up to there and must hold exactly
 * that chain. Bytes past it are an append a kill -9 interrupted before its head moved: never
 * acknowledged, never announced, cut off. Anything else (a head signed by another key, a
 * journal shorter than its head, a last entry that is not the head's) is a chain this node
 * cannot continue: {@link AuditUnavailableError}, and `bzzz audit verify` says more.
 */
import { verifyAuditHead, type SignedAuditHead } from '../../protocol/audit.js';
import { AuditUnavailableError } from './errors.js';
import type { AuditPaths } from './files.js';
import type { Blake3, OffsetTable } from './hasher.js';
import { readHeadFile } from './head-file.js';
import { JournalReader, JournalWriter } from './journal.js';
import type { Logger } from '../../lib/log.js';

/** The committed chain as the files hold it. */
export interface RecoveredChain {
  seq: number;
  /** The last entry's hash, null for an empty chain. */
  hash: string | null;
  /** Journal bytes of the chain. */
  length: number;
  head: SignedAuditHead | undefined;
  /** Journal bytes past the chain, to cut off. */
  beyond: number;
}

/** Reads the chain; fills `offsets` with each entry's offset. */
export async function recoverChain(
  paths: AuditPaths,
  nodeId: string,
  hash: Blake3,
  offsets: OffsetTable,
): Promise<RecoveredChain> {
  let file;
  try {
    file = await readHeadFile(paths.head);
  } catch (error) {
    throw new AuditUnavailableError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (file !== undefined && (file.head.node !== nodeId || !verifyAuditHead(file.head)))
    throw new AuditUnavailableError(`the head file is not signed by this node (${nodeId})`);
  const reader = new JournalReader(paths.journal, file?.journal ?? 0);
  offsets.clear();
  let last: Buffer | undefined;
  for await (const record of reader.records()) {
    offsets.push(record.offset);
    last = record.bytes;
  }
  if (file === undefined) return { seq: 0, hash: null, length: 0, head: undefined, beyond: reader.beyond };
  const { head, journal } = file;
  if (reader.torn || reader.end !== journal || offsets.length !== head.seq)
    throw new AuditUnavailableError(
      `the head covers ${head.seq} entries in ${journal} journal bytes; the journal holds ${offsets.length} whole entries in ${reader.end} bytes`,
    );
  const lastHash = last === undefined ? undefined : hash(last);
  if (lastHash !== head.hash)
    throw new AuditUnavailableError(
      `the journal's last entry hashes to ${lastHash ?? '-'}, not to the head's ${head.hash}`,
    );
  return { seq: head.seq, hash: head.hash, length: journal, head, beyond: reader.beyond };
}

/** Recovers the chain and opens the journal for appends, cutting off what lies past the head. */
export async function openChain(
  paths: AuditPaths,
  nodeId: string,
  hash: Blake3,
  offsets: OffsetTable,
  logger: Logger,
): Promise<{ chain: RecoveredChain; journal: JournalWriter }> {
  const chain = await recoverChain(paths, nodeId, hash, offsets);
  const journal = await JournalWriter.open(paths.journal);
  if (chain.beyond > 0) {
    await journal.truncate(chain.length);
    logger.warn(
      { bytes: chain.beyond, seq: chain.seq },
      'cut off an audit append a stop interrupted before its head moved',
    );
  }
  return { chain, journal };
}
